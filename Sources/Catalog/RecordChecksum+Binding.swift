public import Foundation
public import TargetLayout

extension RecordChecksum {
    /// `status(of:boundAt:)` with the target's binding, which the catalog owns.
    public static func status(of data: Data, binding: TargetBinding?) -> Status {
        status(of: data, boundAt: binding?.boundAt)
    }
}
