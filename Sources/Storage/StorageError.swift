public import ExitStatus

/// A failure finding or handling the volumes under the cluster, carrying the underlying
/// library's words (libdevmapper's or LVM's log lines, or `strerror`).
public struct StorageError: DetailedError, Equatable {
    public enum Code: String, Sendable {
        /// The running kernel has no device-mapper, so there is no LVM to snapshot.
        case noDeviceMapper = "no_device_mapper"
        /// A path pgsnap must back up does not exist or cannot be examined.
        case pathUnavailable = "path_unavailable"
        /// /proc/self/mountinfo could not be read.
        case mountTableUnreadable = "mount_table_unreadable"
        /// A libdevmapper call failed.
        case deviceMapperFailed = "device_mapper_failed"
        /// An LVM command failed.
        case lvmFailed = "lvm_failed"
        /// LVM printed something pgsnap could not parse.
        case lvmUnexpectedOutput = "lvm_unexpected_output"
        /// A volume group or logical volume name breaks LVM's naming rules.
        case invalidName = "invalid_name"
        /// Mounting or unmounting a snapshot failed.
        case mountFailed = "mount_failed"
        /// A snapshot filled up or was invalidated while the backup read it.
        case snapshotOverflow = "snapshot_overflow"
    }

    public let code: Code
    /// What pgsnap was doing and what went wrong.
    public let detail: String
    /// The library's own message(s), when there were any.
    public let underlying: String?

    public init(code: Code, detail: String, underlying: String? = nil) {
        self.code = code
        self.detail = detail
        self.underlying = underlying
    }

    public var exitStatus: ExitStatus { .storage }

    public var hint: String {
        switch code {
        case .noDeviceMapper: return "load the dm-mod module, or set snapshot = none to back up without snapshots"
        case .pathUnavailable: return "check that the path exists and that pgsnap runs as root"
        case .mountTableUnreadable: return "pgsnap needs /proc mounted"
        case .deviceMapperFailed, .lvmFailed: return "pgsnap needs root; run 'lvs' to see what LVM reports"
        case .lvmUnexpectedOutput: return "please report this with the output of 'lvs --reportformat json'"
        case .invalidName: return "LVM names use letters, digits and + _ . - and may not start with '-'"
        case .mountFailed: return "see the kernel log (dmesg) for the filesystem's reason"
        case .snapshotOverflow: return "raise snapshot_size (see docs/sizing.md) or back up at a quieter time"
        }
    }
}

extension StorageError {
    /// `storage.…`: see ErrorCode and docs/exit-codes.md.
    public var errorCode: ErrorCode { ErrorCode("storage", caseName: code.rawValue) }
}
