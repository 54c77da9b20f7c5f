import ArgumentParser
import BitbucketKit
import Foundation

/// `bbtui setup [--key KEY]`: checks an OAuth consumer's Key and Secret with Bitbucket and writes
/// them to the config file.
struct SetupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "setup",
        abstract: "Check an OAuth consumer's Key and Secret and save them in the config file.",
        discussion: """
            Shows what to enter in Bitbucket to make the consumer, then asks for the Key (unless \
            --key gives it) and the Secret (typed without echo; read from standard input when it is \
            not a terminal). The pair is checked with Bitbucket at once, with no user and no side \
            effect; only a pair Bitbucket accepts is written to the config file (created 0600 in a \
            0700 directory; its other lines and comments are kept). Exits 0 when saved, 64 for \
            unusable input, 1 when Bitbucket refuses the pair or cannot be asked.
            """
    )

    @Option(name: .long, help: "The consumer's Key (asked for when not given).")
    var key: String?

    func run() async throws {
        let context = try CLIContext.load()
        let settings = context.settings
        let stdinIsTerminal = isatty(0) == 1
        // The steps and prompts go to the terminal only when something is to be asked there.
        let terminal = key == nil || stdinIsTerminal ? PromptTerminal.open() : nil
        if let terminal {
            for (number, step) in ConsumerSetup.steps(callbackURL: settings.listenerRedirectURI).enumerated() {
                terminal.write("\(number + 1). \(step)\n")
            }
        }
        let key = try self.key ?? Self.ask("Key: ", on: terminal, echo: true)
        let secret =
            stdinIsTerminal
            ? try Self.ask("Secret (not shown): ", on: terminal, echo: false) : Self.standardInputFirstLine()
        switch await ConsumerSetup.setUp(
            key: key, secret: secret, settings: settings, sessions: context.startup.sessions)
        {
        case .saved(let path, _):
            print("Key and Secret accepted. Saved in \(path) (mode 0600).")
        case .unusable(let problem):
            printError("bbtui: \(problem). Nothing was saved.")
            throw ExitCode(ExitStatus.usage)
        case .refused(let message), .failed(let message):
            printError("bbtui: \(message) Nothing was saved.")
            throw ExitCode(ExitStatus.failure)
        }
        for name in ["BITBUCKET_CLIENT_ID", "BITBUCKET_CLIENT_SECRET"] where settings.sources[name] == "environment" {
            printError(
                "bbtui: note: \(name) is set in the environment, and the environment wins over the file: unset it to use what was saved."
            )
        }
        print("The consumer's callback URL must be exactly \(settings.listenerRedirectURI.absoluteString)")
        print("Next: bbtui login")
    }

    /// Asks on the terminal; no terminal (and no --key) is unusable input.
    private static func ask(_ prompt: String, on terminal: PromptTerminal?, echo: Bool) throws -> String {
        guard let terminal else {
            printError("bbtui: no terminal to ask on: give the Key with --key and the Secret on standard input.")
            throw ExitCode(ExitStatus.usage)
        }
        guard let line = terminal.readLine(prompt: prompt, echo: echo) else {
            printError("bbtui: nothing was entered. Nothing was saved.")
            throw ExitCode(ExitStatus.usage)
        }
        return line.trimmingCharacters(in: .whitespaces)
    }

    private static func standardInputFirstLine() -> String {
        (readLine(strippingNewline: true) ?? "").trimmingCharacters(in: CharacterSet(charactersIn: "\r"))
    }
}

/// The controlling terminal, for prompts that must reach the person even when standard input
/// and output are redirected, and for reading a secret without echo.
final class PromptTerminal {
    private let fd: Int32

    private init(fd: Int32) { self.fd = fd }
    deinit { close(fd) }

    /// The terminal, or nil when the process has none.
    static func open() -> PromptTerminal? {
        let fd = Glibc.open("/dev/tty", O_RDWR | O_NOCTTY | O_CLOEXEC)
        return fd >= 0 ? PromptTerminal(fd: fd) : nil
    }

    func write(_ text: String) {
        let bytes = Array(text.utf8)
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return }
            written += count
        }
    }

    /// One line typed after `prompt`; nil at end of input. Without echo, the terminal's echo is
    /// off only while reading, and put back even when a signal ends the process meanwhile.
    func readLine(prompt: String, echo: Bool) -> String? {
        write(prompt)
        var saved = termios()
        let hidden = !echo && tcgetattr(fd, &saved) == 0
        if hidden {
            EchoRestore.arm(fd: fd, saved: saved)
            var quiet = saved
            quiet.c_lflag &= ~tcflag_t(ECHO)
            tcsetattr(fd, TCSAFLUSH, &quiet)
        }
        defer {
            if hidden {
                tcsetattr(fd, TCSAFLUSH, &saved)
                EchoRestore.disarm()
                write("\n")
            }
        }
        var line: [UInt8] = []
        var byte: UInt8 = 0
        while true {
            let count = read(fd, &byte, 1)
            if count < 0 && errno == EINTR { continue }
            if count <= 0 { return line.isEmpty ? nil : String(decoding: line, as: UTF8.self) }
            if byte == UInt8(ascii: "\n") { return String(decoding: line, as: UTF8.self) }
            if byte != UInt8(ascii: "\r") { line.append(byte) }
        }
    }
}

/// Puts the terminal's echo back if a signal ends the process while a secret is being typed.
private enum EchoRestore {
    nonisolated(unsafe) static var fd: Int32 = -1
    nonisolated(unsafe) static var saved = termios()
    nonisolated(unsafe) static var previous: [Int32: sigaction] = [:]
    static let signals = [SIGHUP, SIGINT, SIGQUIT, SIGTERM]

    static func arm(fd: Int32, saved: termios) {
        (EchoRestore.fd, EchoRestore.saved) = (fd, saved)
        for signal in signals {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = { signal in
                tcsetattr(EchoRestore.fd, TCSANOW, &EchoRestore.saved)
                _exit(128 + signal)
            }
            var old = sigaction()
            sigaction(signal, &action, &old)
            previous[signal] = old
        }
    }

    static func disarm() {
        for (signal, action) in previous {
            var action = action
            sigaction(signal, &action, nil)
        }
        previous = [:]
    }
}
