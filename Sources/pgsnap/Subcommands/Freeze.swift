import ArgumentParser
import Backup
import Configuration
import ExitStatus
import Foundation
import TargetLayout

extension PgsnapCommand {
    /// `pgsnap freeze`: backup mode held by a detached holder process until `pgsnap thaw`,
    /// for storage systems that snapshot between two hooks (docs/storage-hooks.md).
    struct Freeze: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start backup mode and return once it is active; 'pgsnap thaw' ends it.",
            discussion: """
                A holder process keeps the one session backup mode lives on; it answers 'pgsnap thaw' and \
                'pgsnap freeze --status' on a socket in the run directory. If thaw does not come within --timeout, \
                the holder ends backup mode itself and records a failed run. Prints the backup ID and start LSN.
                """)

        @OptionGroup(title: HelpSection.connection) var connection: ConnectionOptions
        @OptionGroup(title: HelpSection.freeze) var options: FreezeOptions
        @OptionGroup var common: CommonOptions

        @Flag(name: .long, help: "Say whether a freeze is held, since when, by which ID, and the time left.")
        var status = false

        /// The holder's own invocation: the descriptor of its startup pipe.
        @Option(name: .long, help: .hidden)
        var holder: Int32?

        func run() throws {
            try Terminal.run(common, [connection, options]) { settings in
                Interruption.install()
                if let holder { try Self.hold(settings, readyDescriptor: holder) }
                if status { return try Self.printStatus(settings) }
                try Self.freeze(settings)
            }
        }

        private static func freeze(_ settings: Settings) throws {
            let reply = try start(settings)
            if settings.json {
                FreezeOutput.printJSON(reply)
            } else {
                print(
                    "frozen: backup \(reply.id ?? "?") at \(reply.startLSN ?? "?"); run 'pgsnap thaw' within \(reply.timeoutSeconds ?? 0) s"
                )
            }
        }

        /// The holder started (the executable again, as `freeze` with this process's settings),
        /// once it says backup mode is active; also `snapshot-exec`'s first step.
        static func start(_ settings: Settings) throws -> FreezeReply {
            let logger = Terminal.logger(settings)
            if let notice = FreezeClient.removeLeftovers(settings, log: { logger.info("\($0)") }) {
                logger.warning("\(notice)")
            }
            let launcher = try FreezeLauncher.start(
                executable: executablePath(), arguments: holderArguments(settings), settings: settings)
            return try launcher.waitForReady(stop: .signals)
        }

        /// `freeze` with the settings the holder needs, as flags (a `--config` file is read
        /// again by the holder; the flags given here win over it, as they did here).
        private static func holderArguments(_ settings: Settings) -> [String] {
            var arguments = ["freeze"]
            let given = Array(CommandLine.arguments.dropFirst(2))
            var index = 0
            // What follows the subcommand, up to snapshot-exec's `--`, without its own flag.
            while index < given.count, given[index] != "--" {
                if given[index] == "--snapshot-name" {
                    index += 2
                    continue
                }
                if !given[index].hasPrefix("--snapshot-name=") { arguments.append(given[index]) }
                index += 1
            }
            return arguments
        }

        private static func printStatus(_ settings: Settings) throws {
            let logger = Terminal.logger(settings)
            let reply = try FreezeClient.ask(
                FreezeRequest(operation: .status), settings: settings, stop: .signals, log: { logger.info("\($0)") })
            if settings.json {
                FreezeOutput.printJSON(reply)
                return
            }
            let since = reply.since.map { ISO8601DateFormatter().string(from: $0) } ?? "?"
            let left = Int((reply.secondsLeft ?? 0).rounded(.down))
            print(
                "frozen: backup \(reply.id ?? "?") since \(since), start LSN \(reply.startLSN ?? "?"), \(left) s left (holder pid \(reply.pid ?? 0))"
            )
        }

        /// The holder: freezes, writes its one startup reply to `readyDescriptor`, closes it,
        /// and serves until the freeze ends; its exit status is the freeze's.
        private static func hold(_ settings: Settings, readyDescriptor: Int32) throws -> Never {
            // A peer or the freeze command that went away must not kill the holder mid-teardown.
            signal(SIGPIPE, SIG_IGN)
            // Its log is freeze.log, read after the fact: what it did, not only what went wrong.
            var logged = settings
            if logged.logLevel == .warning || logged.logLevel == .error { logged.logLevel = .info }
            let logger = Terminal.logger(logged)
            let environment = BackupEnvironment.live(serverMessages: ServerMessageLog.sink(logger))
            let holder = FreezeHolder(
                settings: settings, environment: environment, pgsnapVersion: PgsnapVersion.current
            ) {
                logger.info("\($0)")
            }
            holder.onBackupID = { LogRunTag.backupID = $0 }
            let status = holder.hold { reply in
                let data = reply.encoded()
                _ = data.withUnsafeBytes { write(readyDescriptor, $0.baseAddress, $0.count) }
                close(readyDescriptor)
            }
            throw ExitCode(status)
        }

        /// This executable, for the holder: /proc/self/exe, not argv[0], which a hook may have
        /// found through PATH.
        private static func executablePath() throws -> String {
            var buffer = [CChar](repeating: 0, count: 4096)
            let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
            guard length > 0 else { return CommandLine.arguments[0] }
            return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        }
    }
}
