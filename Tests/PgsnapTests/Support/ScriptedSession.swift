import PostgresClient

/// A `PostgresSession` that answers from a script and records every statement, for unit tests
/// of orchestration and of the SQL sent to versions this machine cannot run (14 and older).
final class ScriptedSession: PostgresSession {
    let serverVersionNumber: Int
    /// First entry whose key occurs in the statement (or whose key is empty) answers it.
    var answers: [(contains: String, result: Result<QueryResult, PostgresError>)]
    private(set) var statements: [String] = []
    private(set) var closed = false

    init(version: Int, answers: [(contains: String, result: Result<QueryResult, PostgresError>)]) {
        serverVersionNumber = version
        self.answers = answers
    }

    /// Sees every statement as it is sent, and the close (unit tests of the backup stages).
    var onStatement: ((String) -> Void)?
    var onClose: (() -> Void)?

    func query(_ sql: String, _ parameters: [String?]) throws(PostgresError) -> QueryResult {
        statements.append(sql)
        onStatement?(sql)
        guard let answer = answers.first(where: { $0.contains.isEmpty || sql.contains($0.contains) }) else {
            throw PostgresError(code: .queryFailed, libpqMessage: "script has no answer for: \(sql)")
        }
        return try answer.result.get()
    }

    func close() {
        closed = true
        onClose?()
    }

    var serverClosedConnection: Bool { closed }
}
