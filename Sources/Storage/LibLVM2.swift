internal import CLVM2Cmd
import Foundation

private let lvmLog = LibraryLog()

/// liblvm2cmd behind the `LVM` protocol. Owns the library handle and the one thread every call
/// runs on (liblvm2cmd is not thread-safe and keeps per-process state).
public final class LibLVM2: LVMSnapshots, @unchecked Sendable {
    /// `lvm2_run`'s success value: it returns 1, not 0.
    static let commandSucceeded: Int32 = 1
    /// LVM's `_LOG_WARN`: what the lvm tools print on stdout arrives at this level. Measured with
    /// LVM 2.03.16: with a log callback set, report rows come only through it, one row per call,
    /// at this level and from libdm-report.c; status messages and warnings share the level.
    static let printLevel: Int32 = 4
    static let reportSource = "libdm-report.c"
    /// LVM's flag for messages forced to stderr, masked off to get the plain level.
    static let stderrFlag: Int32 = 128

    private let thread = DedicatedThread(name: "pgsnap-lvm")
    private let countLock = NSLock()
    nonisolated(unsafe) private var commands = 0

    public var commandsRun: Int {
        countLock.lock()
        defer { countLock.unlock() }
        return commands
    }

    nonisolated(unsafe) private static var sharedInstance: LibLVM2?
    private static let sharedLock = NSLock()

    /// The process's one liblvm2cmd handle. liblvm2cmd keeps process-wide state, and
    /// `lvm2_exit` on a second handle tears down what the first still uses (seen as a crash in
    /// the next `lvm2_run`), so every user in the process shares this instance.
    public static func shared(kernel: KernelDevices = .current()) throws(StorageError) -> LibLVM2 {
        sharedLock.lock()
        defer { sharedLock.unlock() }
        if let sharedInstance { return sharedInstance }
        let instance = try LibLVM2(kernel: kernel)
        sharedInstance = instance
        return instance
    }
    nonisolated(unsafe) private var handle: UnsafeMutableRawPointer?

    /// Initialises liblvm2cmd; refuses on a kernel without device-mapper, where LVM could only fail.
    init(kernel: KernelDevices = .current()) throws(StorageError) {
        guard kernel.deviceMapperMajor != nil else {
            throw StorageError(code: .noDeviceMapper, detail: "this kernel has no device-mapper (not in /proc/devices)")
        }
        let handle = thread.run { () -> UnsafeMutableRawPointer? in
            // lvm2_init leaves the umask at 077; everything pgsnap creates later depends on ours.
            let saved = umask(0o077)
            umask(saved)
            lvm2_log_fn { level, file, _, _, message in
                guard let message else { return }
                lvmLog.append(level: level, String(cString: message), source: file.map { String(cString: $0) } ?? "")
            }
            let handle = lvm2_init()
            umask(saved)
            return handle
        }
        guard let handle else {
            thread.stop()
            throw StorageError(
                code: .lvmFailed, detail: "liblvm2cmd could not initialise",
                underlying: Self.errors(lvmLog.drain()))
        }
        self.handle = handle
    }

    deinit {
        let handle = self.handle
        thread.run { if let handle { lvm2_exit(handle) } }
        thread.stop()
    }

    public func logicalVolumes() throws(StorageError) -> [LogicalVolume] {
        let fields = LVMReport.fields.joined(separator: ",")
        let output = try run(
            "lvs --nameprefixes --noheadings --units b --nosuffix --options \(fields)",
            what: "list logical volumes")
        return try LVMReport.parse(output)
    }

    public func createSnapshot(of origin: LogicalVolume, name: String, sizeBytes: UInt64?, tags: [String])
        throws(StorageError)
    {
        try LVMName.validate(origin.volumeGroup, isLogicalVolume: false)
        try LVMName.validate(origin.name)
        try LVMName.validate(name)
        for tag in tags { try LVMName.validateTag(tag) }
        // One command, because it runs inside backup mode: the tags go with --addtag and a thin
        // snapshot is created without LVM's activation-skip flag (-kn), so it is active at once
        // (measured through lvm2_run with LVM 2.03.16: Tests/VM/bench/backup-window.sh). The
        // name carries pgsnap's pattern too, so cleanup recognises it even without its tag.
        let target = "\(origin.volumeGroup)/\(name)"
        let tagOptions = tags.map { " --addtag \($0)" }.joined()
        if let sizeBytes {
            let mebibytes = (sizeBytes + (1 << 20) - 1) >> 20
            _ = try run(
                "lvcreate -s -n \(name) -L \(mebibytes)m\(tagOptions) \(origin.path)", what: "create snapshot \(target)"
            )
        } else {
            _ = try run(
                "lvcreate -s -kn -n \(name)\(tagOptions) \(origin.path)", what: "create thin snapshot \(target)")
        }
    }

    public func extendVolume(volumeGroup: String, name: String, byBytes: UInt64) throws(StorageError) {
        try LVMName.validate(volumeGroup, isLogicalVolume: false)
        try LVMName.validate(name)
        let mebibytes = (byBytes + (1 << 20) - 1) >> 20
        _ = try run("lvextend -L +\(mebibytes)m \(volumeGroup)/\(name)", what: "extend \(volumeGroup)/\(name)")
    }

    public func removeVolume(volumeGroup: String, name: String) throws(StorageError) {
        try LVMName.validate(volumeGroup, isLogicalVolume: false)
        try LVMName.validate(name)
        _ = try run("lvremove -f \(volumeGroup)/\(name)", what: "remove \(volumeGroup)/\(name)")
    }

    /// Runs one lvm command line and returns the lines it printed on stdout.
    func run(_ command: String, what: String) throws(StorageError) -> [String] {
        let handle = self.handle
        countLock.lock()
        commands += 1
        countLock.unlock()
        let (status, lines) = thread.run { () -> (Int32, [LibraryLog.Line]) in
            _ = lvmLog.drain()
            let saved = umask(0o077)
            umask(saved)
            let status = lvm2_run(handle, command)
            umask(saved)
            return (status, lvmLog.drain())
        }
        guard status == Self.commandSucceeded else {
            throw StorageError(
                code: .lvmFailed, detail: "LVM could not \(what) (status \(status))",
                underlying: Self.errors(lines))
        }
        return lines.filter { $0.level == Self.printLevel && $0.source.hasSuffix(Self.reportSource) }.map(\.text)
    }

    private static func errors(_ lines: [LibraryLog.Line]) -> String {
        lines.filter { $0.level & ~stderrFlag <= 3 }.map(\.text).joined(separator: "; ")
    }
}
