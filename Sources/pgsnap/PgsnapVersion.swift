/// The release this binary belongs to, recorded in every backup.
enum PgsnapVersion {
    static let current = "0.1.0"
}
