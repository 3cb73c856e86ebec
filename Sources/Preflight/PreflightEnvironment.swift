public import PostgresClient
public import Storage

/// The system boundaries `Preflight` reaches through, so tests can script each one.
public struct PreflightEnvironment {
    public var connect: (String) throws(PostgresError) -> any PostgresSession
    public var kernel: KernelDevices
    public var mounts: () throws(StorageError) -> MountTable
    public var deviceMapper: () throws(StorageError) -> any DeviceMapper
    public var lvm: () throws(StorageError) -> any LVM

    public init(
        connect: @escaping (String) throws(PostgresError) -> any PostgresSession, kernel: KernelDevices,
        mounts: @escaping () throws(StorageError) -> MountTable,
        deviceMapper: @escaping () throws(StorageError) -> any DeviceMapper,
        lvm: @escaping () throws(StorageError) -> any LVM
    ) {
        self.connect = connect
        self.kernel = kernel
        self.mounts = mounts
        self.deviceMapper = deviceMapper
        self.lvm = lvm
    }

    /// The real libpq, /proc, libdevmapper and liblvm2cmd; `session` says where the server's
    /// notices go and what cancels a statement.
    public static func live(session: SessionOptions = SessionOptions()) -> PreflightEnvironment {
        let kernel = KernelDevices.current()
        return PreflightEnvironment(
            connect: { conninfo throws(PostgresError) in try LibPQSession(conninfo: conninfo, options: session) },
            kernel: kernel,
            mounts: { () throws(StorageError) in try MountTable.current() },
            deviceMapper: { () throws(StorageError) in try LibDeviceMapper.shared(kernel: kernel) },
            lvm: { () throws(StorageError) in try LibLVM2.shared(kernel: kernel) })
    }
}
