/// The rows of one statement in text format; NULL is nil.
public struct QueryResult: Sendable, Equatable {
    public var columns: [String]
    public var rows: [[String?]]

    public init(columns: [String], rows: [[String?]]) {
        self.columns = columns
        self.rows = rows
    }

    /// The single value of a one-row, one-column result.
    public func scalar() throws(PostgresError) -> String? {
        guard rows.count == 1, rows[0].count == 1 else {
            throw PostgresError(code: .unexpectedResult, libpqMessage: "expected one value, got \(rows.count) rows")
        }
        return rows[0][0]
    }

    /// The value in `column` of `row`, by column name.
    public func value(_ row: Int, _ column: String) -> String? {
        guard let index = columns.firstIndex(of: column), row < rows.count else { return nil }
        return rows[row][index]
    }
}
