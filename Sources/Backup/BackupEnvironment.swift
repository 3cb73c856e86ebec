public import Foundation
public import PostgresClient
public import Preflight
public import Storage
public import TargetLayout

/// The system boundaries a backup reaches through: tests substitute scripted sessions and fake
/// LVM, device-mapper and mounts to drive failure paths.
public struct BackupEnvironment {
    public var preflight: PreflightEnvironment
    public var connect: (String) throws(PostgresError) -> any PostgresSession
    public var lvm: () throws(StorageError) -> any LVMSnapshots
    public var deviceMapper: () throws(StorageError) -> any DeviceMapper
    public var mounter: any Mounter
    public var clock: () -> Date
    /// Runs the executables of `hook_directory` (docs/hooks.md).
    public var hookRunner: any HookRunner
    /// When to stop: the recorded signals, or a test's script.
    public var stop: StopToken

    public init(
        preflight: PreflightEnvironment,
        connect: @escaping (String) throws(PostgresError) -> any PostgresSession,
        lvm: @escaping () throws(StorageError) -> any LVMSnapshots,
        deviceMapper: @escaping () throws(StorageError) -> any DeviceMapper,
        mounter: any Mounter, clock: @escaping () -> Date = Date.init,
        hookRunner: any HookRunner = SpawnedHookRunner(), stop: StopToken = .signals
    ) {
        self.preflight = preflight
        self.connect = connect
        self.lvm = lvm
        self.deviceMapper = deviceMapper
        self.mounter = mounter
        self.clock = clock
        self.hookRunner = hookRunner
        self.stop = stop
    }

    /// The real libpq, liblvm2cmd, libdevmapper and mount(2). Every statement is cancelled
    /// when a signal arrives (`Interruption`), and the server's notices go to `serverMessages`.
    public static func live(serverMessages: (@Sendable (ServerMessage) -> Void)? = nil) -> BackupEnvironment {
        let stop = StopToken.signals
        let options = SessionOptions(shouldStop: { stop.isStopped }, serverMessages: serverMessages)
        let preflight = PreflightEnvironment.live(session: options)
        let kernel = preflight.kernel
        return BackupEnvironment(
            preflight: preflight,
            connect: { conninfo throws(PostgresError) in try LibPQSession(conninfo: conninfo, options: options) },
            lvm: { () throws(StorageError) in try LibLVM2.shared(kernel: kernel) },
            deviceMapper: { () throws(StorageError) in try LibDeviceMapper.shared(kernel: kernel) },
            mounter: SystemMounter())
    }
}
