import Foundation
import Testing

extension Pgsnap.Running {
    /// Waits at most `seconds` for the exit; a run still going then is killed (SIGKILL) and
    /// the test fails, so a hang fails the test instead of stalling the suite.
    func wait(atMost seconds: Double, sourceLocation: SourceLocation = #_sourceLocation) -> (Int32, String) {
        let deadline = Date().addingTimeInterval(seconds)
        var status: Int32 = 0
        while Date() < deadline {
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
                unlink(outputPath)
                return ((status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output)
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        kill(pid, SIGKILL)
        let (_, output) = wait()
        Issue.record("pgsnap still ran after \(seconds) s and was killed: \(output)", sourceLocation: sourceLocation)
        return (-1, output)
    }
}

/// Polls `condition` every 50 ms for at most `seconds`; true once it held.
func eventually(within seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if try condition() { return true }
        Thread.sleep(forTimeInterval: 0.05)
    } while Date() < deadline
    return try condition()
}
