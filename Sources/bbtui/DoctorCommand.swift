import App
import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui doctor [--json]`: why it does not work here, each line with its fix.
struct DoctorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "doctor",
        abstract: "Check everything bbtui needs here, and say how to fix what is wrong.",
        discussion: """
            Checks, in order: the config file and its mode; the OAuth consumer's Key and Secret (with \
            Bitbucket, no user and no side effect); the token store and its mode; the token (one GET \
            /user) and each pane's permission; the clock against Bitbucket's; the callback port; the \
            terminal (TERM and its terminfo entry, the locale, colours); tmux's set-clipboard; and, over \
            SSH, which login paths work from here. Exits 0 when everything needed is usable, 1 otherwise.
            """
    )

    @Flag(help: "Print the checks as JSON.") var json = false

    /// One check: what was looked at, how it is, and how to fix it.
    struct Line: Encodable, Equatable {
        enum Status: String, Encodable { case ok, warning, problem, info }
        var check: String
        var status: Status
        var detail: String
        var fix: String?
    }

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        var lines: [Line] = []
        let paths = StorePaths.resolve(environment: environment)
        let settings: Settings?
        do {
            let loaded = try Settings.load(environment: environment)
            settings = loaded
            lines.append(Self.configLine(paths))
            do {
                let keymap = try Keymap(settings: loaded)
                if !loaded.keyEntries.isEmpty || !loaded.commands.isEmpty {
                    lines.append(
                        Line(
                            check: "Keys", status: keymap.warnings.isEmpty ? .ok : .warning,
                            detail: keymap.warnings.isEmpty
                                ? "\(loaded.keyEntries.count) key settings and \(loaded.commands.count) commands in the file"
                                : keymap.warnings.joined(separator: "; "),
                            fix: nil))
                }
            } catch {
                lines.append(Line(check: "Keys", status: .problem, detail: error.description, fix: nil))
            }
        } catch {
            settings = nil
            lines.append(Line(check: "Config file", status: .problem, detail: error.description, fix: nil))
        }
        let transport = AsyncHTTPClientTransport(
            environment: environment, connectTimeout: .seconds(5), requestTimeout: .seconds(15))
        var sessions: SessionFactory?
        var store: TokenStore?
        do {
            store = try TokenStore(paths: paths)
            sessions = store.map { SessionFactory(store: $0, transport: transport, paths: paths) }
            lines.append(Self.storeLine(paths))
        } catch {
            lines.append(Line(check: "Token store", status: .problem, detail: "\(error)", fix: nil))
        }
        if let settings { lines.append(await Self.consumerLine(settings, sessions: sessions)) }
        if let store, let sessions {
            lines += await Self.accountLines(store: store, sessions: sessions, settings: settings)
        }
        if let settings { lines.append(Self.portLine(settings.listenerRedirectURI)) }
        lines += Self.terminalLines(environment)
        lines.append(Self.tmuxLine(environment))
        lines.append(Self.sshLine(environment, callback: settings?.listenerRedirectURI))
        let healthy = !lines.contains { $0.status == .problem }
        if json {
            struct Out: Encodable {
                var ok: Bool
                var checks: [Line]
            }
            printOut(bbtui.json(Out(ok: healthy, checks: lines)))
        } else {
            for line in lines {
                let mark = ["ok": "ok  ", "warning": "warn", "problem": "FAIL", "info": "info"][line.status.rawValue]!
                // Details carry names and messages from the network: never raw to the terminal.
                printOut("\(mark)  \(line.check): \(safe(line.detail))")
                if let fix = line.fix { printOut("      fix: \(safe(fix))") }
            }
        }
        if !healthy { throw ExitCode(ExitStatus.failure) }
    }

    // MARK: - Files

    static func configLine(_ paths: StorePaths) -> Line {
        let path = paths.configFile
        guard FileManager.default.fileExists(atPath: path) else {
            return Line(
                check: "Config file", status: .info,
                detail: "\(path) does not exist (settings come from the environment and defaults)", fix: nil)
        }
        return Line(check: "Config file", status: .ok, detail: "\(path) (\(StatusCommand.mode(path)))", fix: nil)
    }

    static func storeLine(_ paths: StorePaths) -> Line {
        let (file, directory) = (paths.credentialsDatabase, paths.configDirectory)
        return Line(
            check: "Token store", status: .ok,
            detail: "\(file) (\(StatusCommand.mode(file)), in a \(StatusCommand.mode(directory)) directory)", fix: nil)
    }

    // MARK: - Bitbucket

    static func consumerLine(_ settings: Settings, sessions: SessionFactory?) async -> Line {
        let configuration: OAuthConfiguration
        do { configuration = try settings.oauthConfiguration() } catch {
            return Line(
                check: "OAuth consumer", status: .problem, detail: error.description,
                fix: "bbtui setup (it shows what to enter in Bitbucket and saves the Key and Secret)")
        }
        let source = settings.sources["BITBUCKET_CLIENT_ID"].map { $0 == "environment" ? "the environment" : $0 } ?? "?"
        guard let sessions else {
            return Line(check: "OAuth consumer", status: .warning, detail: "not checked (no token store)", fix: nil)
        }
        switch await sessions.checkConsumer(configuration) {
        case .accepted:
            return Line(
                check: "OAuth consumer", status: .ok,
                detail:
                    "Key \(configuration.clientID) (from \(source)) and its Secret accepted by \(configuration.tokenURL.host ?? "")",
                fix: nil)
        case .refused(let detail):
            return Line(
                check: "OAuth consumer", status: .problem,
                detail:
                    "Bitbucket refused the Key \(configuration.clientID) (from \(source)) and its Secret: \(detail)",
                fix: "bbtui setup, with both copied again from the consumer")
        case .failed(let error):
            return Line(
                check: "OAuth consumer", status: .problem,
                detail: "could not ask \(configuration.tokenURL.host ?? "the token endpoint"): \(error)", fix: nil)
        }
    }

    static func accountLines(store: TokenStore, sessions: SessionFactory, settings: Settings?) async -> [Line] {
        let account: StoredAccount
        do {
            guard let active = try store.activeAccount() else {
                return [Line(check: "Account", status: .problem, detail: "not logged in", fix: "bbtui login")]
            }
            account = active
        } catch {
            return [Line(check: "Account", status: .problem, detail: "\(error)", fix: nil)]
        }
        let session = sessions.session(for: account)
        var lines: [Line] = []
        do {
            let user = try await session.client.currentUser()
            lines.append(
                Line(
                    check: "Account", status: .ok,
                    detail: "\(user.displayName) (\(user.handle)): Bitbucket accepted the token (GET /user)", fix: nil))
        } catch {
            let (message, status) = CLIContext.message(for: error)
            return [
                Line(
                    check: "Account", status: .problem, detail: message,
                    fix: status == ExitStatus.loginRequired ? "bbtui login" : nil)
            ]
        }
        for line in await PermissionReport.check(session.client).lines {
            let works = line.outcome == .works
            lines.append(
                Line(
                    check: "Pane: \(line.pane)", status: works ? .ok : .problem,
                    detail: "\(line.endpoint): \(PermissionReport.describe(line.outcome))",
                    fix: works ? nil : (line.outcome.isMissing ? "tick the box in the consumer, then bbtui login" : nil)
                ))
        }
        lines.append(await clockLine(apiURL: account.configuration.apiURL, sessions: sessions))
        return lines
    }

    /// The clock against the server's `Date`: token expiry is computed from it.
    static func clockLine(apiURL: URL, sessions: SessionFactory) async -> Line {
        guard let serverDate = await sessions.serverDate(at: apiURL) else {
            return Line(
                check: "Clock", status: .warning, detail: "the server sent no Date header to compare with", fix: nil)
        }
        let skew = Date().timeIntervalSince(serverDate)
        let seconds = Int(skew.rounded())
        if abs(skew) <= 60 {
            return Line(
                check: "Clock", status: .ok, detail: "within \(abs(seconds)) s of \(apiURL.host ?? "the server")'s",
                fix: nil)
        }
        return Line(
            check: "Clock", status: .problem,
            detail:
                "this machine's clock is \(abs(seconds)) s \(skew > 0 ? "ahead of" : "behind") \(apiURL.host ?? "the server")'s: tokens would be refreshed too early or too late",
            fix: "set the clock right (timedatectl set-ntp true)")
    }

    // MARK: - This machine

    static func portLine(_ callback: URL) -> Line {
        let port = callback.port ?? 80
        if let holder = LoopbackPort.holder(of: port) {
            return Line(
                check: "Callback port", status: .warning,
                detail:
                    "127.0.0.1:\(port) is held by \(holder): the browser's redirect cannot reach bbtui (pasting the code back still works)",
                fix:
                    "stop that program, or set BBTUI_REDIRECT_URI to another port (and the consumer's callback URL to match)"
            )
        }
        return Line(
            check: "Callback port", status: .ok, detail: "127.0.0.1:\(port) is free for the login's listener", fix: nil)
    }

    static func terminalLines(_ environment: [String: String]) -> [Line] {
        var lines: [Line] = []
        let term = environment["TERM"] ?? ""
        if term.isEmpty || term == "dumb" {
            lines.append(
                Line(
                    check: "Terminal", status: .problem,
                    detail: "TERM is \(term.isEmpty ? "not set" : "dumb"): the full screen cannot start",
                    fix: "export TERM=xterm-256color (or use the commands: bbtui login --no-tui, bbtui repos)"))
        } else if let entry = Terminfo.entry(for: term, environment: environment) {
            let colours = Terminfo.colours(term).map { ", \($0) colours" } ?? ""
            lines.append(Line(check: "Terminal", status: .ok, detail: "TERM=\(term) (\(entry)\(colours))", fix: nil))
        } else {
            lines.append(
                Line(
                    check: "Terminal", status: .problem,
                    detail: "no terminfo entry for TERM=\(term): the full screen cannot start",
                    fix: "export TERM=xterm-256color, or install the entry (apt-get install ncurses-term)"))
        }
        let locale =
            environment["LC_ALL"].flatMap { $0.isEmpty ? nil : $0 } ?? environment["LC_CTYPE"].flatMap {
                $0.isEmpty ? nil : $0
            } ?? environment["LANG"] ?? ""
        if locale.lowercased().contains("utf-8") || locale.lowercased().contains("utf8") {
            lines.append(
                Line(check: "Locale", status: .ok, detail: "\(locale): names in any script are shown", fix: nil))
        } else {
            lines.append(
                Line(
                    check: "Locale", status: .warning,
                    detail:
                        "\(locale.isEmpty ? "no locale set" : locale) is not UTF-8: names outside ASCII are shown as escapes",
                    fix: "export LANG=C.UTF-8"))
        }
        return lines
    }

    static func tmuxLine(_ environment: [String: String]) -> Line {
        guard !(environment["TMUX"] ?? "").isEmpty else {
            return Line(check: "tmux", status: .info, detail: "not inside tmux", fix: nil)
        }
        let value = ProgramOutput.output("tmux", ["show", "-gv", "set-clipboard"])?.trimmingCharacters(
            in: .whitespacesAndNewlines)
        switch value {
        case "on"?:
            return Line(
                check: "tmux", status: .ok, detail: "set-clipboard on: y reaches your terminal's clipboard", fix: nil)
        case "external"?:
            return Line(
                check: "tmux", status: .warning,
                detail: "set-clipboard external: y reaches your terminal only if tmux knows it takes clipboard writes",
                fix: "tmux set -g set-clipboard on")
        case let other?:
            return Line(
                check: "tmux", status: .warning,
                detail: "set-clipboard \(other): y cannot reach your clipboard through tmux",
                fix: "tmux set -g set-clipboard on (and in ~/.tmux.conf)")
        case nil:
            return Line(
                check: "tmux", status: .warning, detail: "inside tmux, but `tmux show -gv set-clipboard` failed",
                fix: nil)
        }
    }

    static func sshLine(_ environment: [String: String], callback: URL?) -> Line {
        let connection = environment["SSH_CONNECTION"] ?? ""
        let port = callback?.port ?? 8976
        guard !connection.isEmpty else {
            return Line(
                check: "Session", status: .info,
                detail: "local: a browser on this machine reaches the login's listener directly", fix: nil)
        }
        let from = connection.split(separator: " ").first.map(String.init) ?? "?"
        return Line(
            check: "Session", status: .info,
            detail:
                "over SSH from \(from): approve in any browser and paste the code back; for the browser's redirect to reach bbtui, forward the port",
            fix: "ssh -L \(port):127.0.0.1:\(port) HOST")
    }
}

extension PermissionReport.Outcome {
    var isMissing: Bool {
        if case .missing = self { return true }
        return false
    }
}

/// Runs a program and returns what it printed, or nil when it could not run or failed.
enum ProgramOutput {
    static func output(_ program: String, _ arguments: [String]) -> String? {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [program] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return nil }
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}

/// terminfo entries, found where ncurses looks.
enum Terminfo {
    static func entry(for term: String, environment: [String: String]) -> String? {
        guard let first = term.unicodeScalars.first, !term.contains("/") else { return nil }
        var directories: [String] = []
        if let own = environment["TERMINFO"], !own.isEmpty { directories.append(own) }
        if let home = environment["HOME"] { directories.append(home + "/.terminfo") }
        directories += (environment["TERMINFO_DIRS"] ?? "").split(separator: ":").map(String.init)
        directories += ["/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo"]
        for directory in directories {
            for sub in [String(first), String(first.value, radix: 16)] {
                let path = "\(directory)/\(sub)/\(term)"
                if FileManager.default.fileExists(atPath: path) { return path }
            }
        }
        return nil
    }

    static func colours(_ term: String) -> Int? {
        ProgramOutput.output("tput", ["-T", term, "colors"]).flatMap {
            Int($0.trimmingCharacters(in: .whitespacesAndNewlines))
        }
    }
}

/// Who holds a loopback TCP port.
enum LoopbackPort {
    /// "process NAME (pid N)", "another program" when its owner cannot be seen, or nil when free.
    static func holder(of port: Int) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        if bound == 0 { return nil }
        guard let inode = listeningInode(port: port), let process = process(holding: inode) else {
            return "another program"
        }
        return process
    }

    /// The socket inode listening on `port` (from /proc/net/tcp and tcp6).
    static func listeningInode(port: Int) -> String? {
        let hexPort = String(format: "%04X", port)
        for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
            // Read to the end: /proc files report size 0, and a busy machine's table is long.
            guard let data = FileHandle(forReadingAtPath: table)?.readDataToEndOfFile() else { continue }
            let text = String(decoding: data, as: UTF8.self)
            for line in text.split(separator: "\n").dropFirst() {
                let fields = line.split(separator: " ")
                guard fields.count > 9, fields[1].hasSuffix(":" + hexPort), fields[3] == "0A" else { continue }
                return String(fields[9])
            }
        }
        return nil
    }

    static func process(holding inode: String) -> String? {
        let target = "socket:[\(inode)]"
        guard let pids = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return nil }
        let own = String(getpid())
        for pid in pids where pid.allSatisfy(\.isNumber) && pid != own {
            guard let fds = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd") else { continue }
            for fd in fds
            where (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")) == target {
                let name =
                    (try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8))?
                    .trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
                return "\(name) (pid \(pid))"
            }
        }
        return nil
    }
}
