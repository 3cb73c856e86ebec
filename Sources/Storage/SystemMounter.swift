import SystemCalls

#if canImport(Glibc)
    import Glibc
#endif

/// mount(2) and umount2(2), always read-only and without device files, setuid or exec.
public final class SystemMounter: Mounter {
    public init() {}

    public func mount(device: String, at directory: String, filesystemType: String, options: String)
        throws(StorageError)
    {
        let flags = UInt(MS_RDONLY) | UInt(MS_NODEV) | UInt(MS_NOSUID) | UInt(MS_NOEXEC)
        let status =
            options.isEmpty
            ? Glibc.mount(device, directory, filesystemType, flags, nil)
            : options.withCString { Glibc.mount(device, directory, filesystemType, flags, $0) }
        guard status == 0 else {
            throw StorageError(
                code: .mountFailed, detail: "cannot mount \(device) on \(directory) (\(filesystemType), ro,\(options))",
                underlying: Errno.current.description)
        }
    }

    public func unmount(_ directory: String) throws(StorageError) {
        let status = SystemCall.retrying { umount2(directory, 0) }
        guard status == 0 else {
            throw StorageError(
                code: .mountFailed, detail: "cannot unmount \(directory)",
                underlying: Errno.current.description)
        }
    }
}
