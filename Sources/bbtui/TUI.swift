import App
import BitbucketKit
import Foundation
import NcursesTerminal
import Synchronization
import TerminalUI

/// Wires the live services to the real terminal and runs the browser.
enum TUI {
    /// Runs the full-screen program; returns the exit status.
    static func run(environment: [String: String], isDemo: Bool = false, startsWithLogin: Bool = false) async -> Int32 {
        let startup: Startup
        // A mistake in the config file does not keep the full screen from starting: it starts
        // without the file and says what is wrong, where.
        var notice: StatusMessage?
        var keymap = Keymap.standard
        do {
            let loaded = try Startup.load(environment: environment)
            keymap = try Keymap(settings: loaded.settings)
            startup = loaded
            if !keymap.warnings.isEmpty {
                notice = StatusMessage(keymap.warnings.joined(separator: "; "), kind: .warning)
            }
        } catch let mistake as ConfigurationError where mistake.isFileMistake {
            do {
                startup = try Startup.load(environment: environment, ignoringConfigFile: true)
                keymap = .standard
                notice = StatusMessage("The config file was not used: \(mistake)", kind: .error)
            } catch {
                printError("bbtui: \(error)")
                return ExitStatus.failure
            }
        } catch {
            printError("bbtui: \(error)")
            return ExitStatus.failure
        }
        var environment = environment
        if environment["BBTUI_HYPERLINKS"] == nil, let hyperlinks = startup.settings.values["BBTUI_HYPERLINKS"] {
            environment["BBTUI_HYPERLINKS"] = hyperlinks
        }
        let (settings, store) = (startup.settings, startup.store)
        let configuration: Result<OAuthConfiguration, AppError>
        var consumerSetup: (@Sendable (String, String) async -> ConsumerSetup.Outcome)?
        do {
            configuration = .success(try settings.oauthConfiguration())
        } catch {
            configuration = .failure(.configuration(error.description))
            // No consumer yet: the login screen asks for its Key and Secret (`bbtui setup`'s path).
            if case .missing = error {
                consumerSetup = { key, secret in
                    await ConsumerSetup.setUp(key: key, secret: secret, settings: settings, sessions: startup.sessions)
                }
            }
        }
        // An endpoint setting that disagrees with the account about to be shown is refused, not
        // silently ignored (`bbtui login` adds an account on that server instead).
        if !startsWithLogin, let account = (try? store.activeAccount()).flatMap({ $0 }) {
            do {
                try settings.checkEndpoints(for: account)
            } catch {
                printError("bbtui: \(error)")
                return ExitStatus.failure
            }
        }
        var services = AppServices(
            configuration: configuration,
            listenerRedirectURI: settings.listenerRedirectURI,
            accounts: store,
            sessions: startup.sessions,
            cache: try? CacheStore(paths: settings.paths),
            paths: settings.paths,
            home: environment["HOME"],
            consumerSetup: consumerSetup
        )
        do { services.apiURL = .success(try settings.apiURL()) } catch {
            services.apiURL = .failure(.configuration(error.description))
        }
        do {
            services.cloning = CloneSettings(
                directoryTemplate: settings.values["BBTUI_CLONE_DIR"], forcedProtocol: try settings.cloneProtocol(),
                workingDirectory: FileManager.default.currentDirectoryPath, home: environment["HOME"],
                credentialHelper: ClonePlanner.helperCommand(executable: GitConfig.executablePath),
                environment: environment)
        } catch {
            printError("bbtui: \(error)")
            return ExitStatus.failure
        }
        let ready = services
        let outcome: Result<Int32, TerminalError> = await withCheckedContinuation { continuation in
            // The UI gets a thread of its own: it blocks in poll() and owns every curses call,
            // while effect tasks run on the concurrency pool.
            let thread = Thread { [environment, notice, keymap] in
                continuation.resume(
                    returning: runLoop(
                        services: ready, environment: environment, isDemo: isDemo, startsWithLogin: startsWithLogin,
                        notice: notice, keymap: keymap))
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
        for notice in store.notices { printError("bbtui: \(notice)") }
        let commands = stoppedCommands.withLock { $0 }
        if commands > 0 {
            printError(
                "bbtui: ended \(commands) background command\(commands == 1 ? "" : "s") still running on quitting.")
        }
        let stopped = stoppedClones.withLock { $0 }
        if stopped > 0 {
            printError(
                "bbtui: stopped \(stopped) clone\(stopped == 1 ? "" : "s") on quitting; nothing was left behind.")
        }
        // A refresh still between Bitbucket's answer and the store is finished first; after a
        // signal, its commit ends the process with the signal's status.
        if case .success(let status) = outcome {
            TokenCommitGuard.exitWhenCommitted(
                signal: status > 128 ? status - 128 : nil, limit: startup.requestTimeout + .seconds(5))
        }
        switch outcome {
        case .failure(let error):
            printError("bbtui: \(error)")
            return ExitStatus.failure
        case .success(let status):
            // 0 after q; 128 + n after signal n (Ctrl-C 130, SIGTERM 143, SIGHUP 129).
            return status
        }
    }

    private static func runLoop(
        services: AppServices, environment: [String: String], isDemo: Bool, startsWithLogin: Bool,
        notice: StatusMessage?, keymap: Keymap
    ) -> Result<Int32, TerminalError> {
        let terminal: NcursesTerminal
        do {
            terminal = try NcursesTerminal(
                environment: environment, exitDeferral: { TokenCommitGuard.deferSignal($0) })
        } catch let error as TerminalError {
            return .failure(error)
        } catch {
            return .failure(.system("\(error)", 0))
        }
        defer { terminal.restore() }
        let appEnvironment = Environment(
            isSSH: !(environment["SSH_CONNECTION"] ?? "").isEmpty || !(environment["SSH_TTY"] ?? "").isEmpty,
            hasDisplay: !(environment["DISPLAY"] ?? "").isEmpty || !(environment["WAYLAND_DISPLAY"] ?? "").isEmpty,
            hostName: hostName(),
            isDemo: isDemo,
            isUnicode: terminal.capabilities.isUnicode,
            hasJobControl: getpgrp() != getsid(0),
            keymap: keymap
        )
        // `bbtui login` with an account already stored adds another; Esc goes back.
        var (state, effects) = services.initialState(
            size: terminal.size, environment: appEnvironment, startsWithLogin: startsWithLogin)
        // Said until something else is (no expiry); `e` shows it whole.
        if let notice { state.message = notice }
        let inbox = ActionInbox(waker: terminal.waker)
        let runner = EffectRunner(services: services, send: inbox.send)
        let program = Program(terminal: terminal, state: state, inbox: inbox, runner: runner)
        program.run(initialEffects: effects)
        stoppedClones.withLock { $0 = program.state.clones.pending }
        stoppedCommands.withLock { $0 = CustomCommandRunner.stopAll() }
        let done = DispatchSemaphore(value: 0)
        Task {
            await runner.shutdown()
            done.signal()
        }
        // Clones still running are stopped and their directories removed first.
        _ = done.wait(timeout: .now() + 10)
        return .success(program.state.exitStatus)
    }

    /// Clones still running when the program quit (said on stderr once the terminal is back).
    private static let stoppedClones = Mutex(0)
    /// Background `[[commands]]` still running then (ended with SIGTERM).
    private static let stoppedCommands = Mutex(0)

    static func hostName() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count) == 0 else { return "this-host" }
        let bytes = buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Exit statuses, documented in the README and the man page.
enum ExitStatus {
    static let success: Int32 = 0
    /// Something failed (network, store, server).
    static let failure: Int32 = 1
    /// The command line was wrong (ArgumentParser's own code).
    static let usage: Int32 = 64
    /// The command printed what it could, but not everything it was asked for (a workspace or a
    /// page failed); what was printed stays machine-readable.
    static let incomplete: Int32 = 2
    /// Not logged in, or the session cannot be refreshed: run `bbtui login`.
    static let loginRequired: Int32 = 3
    /// `keys`: no account key is usable from this machine (cloning over SSH will fail).
    static let noUsableKey: Int32 = 4
}
