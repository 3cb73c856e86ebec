/// One fault the suite injects: what it does to a run (`inject` returns the exit status and
/// the combined output of the process it judged), and what pgsnap must answer with.
struct FaultCase: Sendable {
    let name: String
    /// The exit status docs/exit-codes.md gives for this failure.
    let expectedStatus: Int32
    /// Whether exactly one line must reach stderr (false where the process was SIGKILLed).
    var oneLine = true
    let inject: @Sendable (FaultBench.Context) throws -> (Int32, String)
}
