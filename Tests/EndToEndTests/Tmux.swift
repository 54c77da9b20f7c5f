import Foundation
import TestSupport

/// A private tmux server running one program, driven like a person would: keys in, screen out.
final class Tmux {
    let socket: String
    let directory: String
    let session = "bbtui"
    /// Where pipe-pane writes everything the program sends to the terminal.
    let rawOutput: String
    /// Changes of `rawOutput`: every change of the screen comes with output, so waits wake on it.
    private let output: FileEvents

    /// Starts `command` (run by sh in `directory`) in a detached tmux session of the given size.
    init(
        width: Int, height: Int, command: String, environment: [String: String], directory: String,
        extraConfig: String = ""
    ) throws {
        socket = "bbtui-test-\(UUID().uuidString.prefix(8))"
        self.directory = directory
        rawOutput = directory + "/raw-\(socket).out"
        guard FileManager.default.createFile(atPath: rawOutput, contents: nil) else {
            throw CocoaError(.fileWriteUnknown)
        }
        output = FileEvents(watching: rawOutput, mask: UInt32(IN_MODIFY))
        let term = Tmux.shell("infocmp tmux-256color >/dev/null 2>&1 && echo tmux-256color || echo screen-256color")
            .trimmingCharacters(in: .whitespacesAndNewlines)
        let config = directory + "/tmux-\(socket).conf"
        try
            "set -g default-terminal \(term)\nset -g status off\nset -g escape-time 0\nset -g history-limit 100\n\(extraConfig)"
            .write(toFile: config, atomically: true, encoding: .utf8)
        let script = directory + "/run-\(socket).sh"
        let exports = environment.sorted { $0.key < $1.key }.map {
            "export \($0.key)='\($0.value.replacingOccurrences(of: "'", with: "'\\''"))'"
        }.joined(separator: "\n")
        try "#!/bin/sh\n\(exports)\n\(command)\necho EXITED:$?\nexec sleep 600\n".write(
            toFile: script, atomically: true, encoding: .utf8)
        chmod(script, 0o700)
        // The server forks from this call and would hold an output pipe open forever.
        Tmux.run(
            "/usr/bin/env",
            [
                "tmux", "-L", socket, "-f", config, "new-session", "-d", "-s", session, "-x", String(width), "-y",
                String(height), script,
            ], capturesOutput: false)
        _ = tmux(["pipe-pane", "-o", "-t", session, "cat >> '\(rawOutput)'"])
    }

    deinit { kill() }

    func kill() {
        _ = tmux(["kill-server"])
    }

    /// The visible screen, wrapped lines joined (-J), trailing blanks trimmed.
    func capture(escapes: Bool = false) -> String {
        tmux(["capture-pane", "-p", "-J"] + (escapes ? ["-e"] : []) + ["-t", session])
    }

    var lines: [String] {
        capture().split(separator: "\n", omittingEmptySubsequences: false).map {
            String($0).replacingOccurrences(of: #"\s+$"#, with: "", options: .regularExpression)
        }
    }

    func contains(_ text: String) -> Bool { capture().contains(text) }

    /// The login URL the login screen shows, joined from the rows it wraps over.
    var loginURL: String? {
        let lines = self.lines
        guard let start = lines.firstIndex(where: { $0.hasPrefix("http") }) else { return nil }
        var url = ""
        for line in lines[start...] {
            if line.isEmpty || line.hasPrefix(" ") { break }
            url += line
        }
        return url
    }

    /// Waits until the screen contains `text`.
    @discardableResult
    func waitFor(_ text: String, timeout: Duration = .seconds(20)) -> Bool {
        waitUntil(timeout) { contains(text) }
    }

    /// Waits until `condition` holds, re-checking whenever the pane produces output.
    @discardableResult
    func waitUntil(_ timeout: Duration = .seconds(20), _ condition: () -> Bool) -> Bool {
        EndToEndTests.waitUntil(timeout, on: output, condition)
    }

    /// The text of a tmux paste buffer (where `set-clipboard on` puts what a program copies).
    func buffer() -> String {
        tmux(["show-buffer"])
    }

    func keys(_ keys: String...) {
        _ = tmux(["send-keys", "-t", session] + keys)
    }

    func type(_ text: String) {
        _ = tmux(["send-keys", "-t", session, "-l", text])
    }

    /// Pastes as a terminal does: bracketed when the program asked for it.
    func paste(_ text: String) {
        _ = tmux(["set-buffer", "-b", "p", text])
        _ = tmux(["paste-buffer", "-p", "-d", "-b", "p", "-t", session])
    }

    func resize(width: Int, height: Int) {
        _ = tmux(["resize-window", "-t", session, "-x", String(width), "-y", String(height)])
    }

    /// A tmux format value for the pane, like `#{alternate_on}`.
    func display(_ format: String) -> String {
        tmux(["display-message", "-p", "-t", session, format]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The bbtui process: the child of the pane's shell.
    var programPID: Int32? {
        guard let shell = Int32(display("#{pane_pid}")) else { return nil }
        let children = (try? String(contentsOfFile: "/proc/\(shell)/task/\(shell)/children", encoding: .utf8)) ?? ""
        return children.split(separator: " ").compactMap { Int32($0) }.first
    }

    /// Everything the program wrote to the terminal so far.
    var raw: String { (try? String(contentsOfFile: rawOutput, encoding: .utf8)) ?? "" }

    @discardableResult
    private func tmux(_ arguments: [String]) -> String {
        Tmux.run("/usr/bin/env", ["tmux", "-L", socket] + arguments)
    }

    static func shell(_ command: String) -> String {
        run("/bin/sh", ["-c", command])
    }

    /// Runs a program and waits for it, with posix_spawn and waitpid: Foundation's Process
    /// never reaps a tmux client whose server it forked, and its `waitUntilExit` then hangs.
    ///
    /// The child starts clean: no descriptor but 0, 1 and 2 (a tmux server lives on, and an
    /// inherited pipe end would keep another test's child from ever seeing end-of-file), an
    /// empty signal mask and default dispositions (the test thread's blocked signals would make
    /// the server ignore SIGTERM).
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], capturesOutput: Bool = true) -> String {
        CleanSpawn.run(executable, arguments, capturesOutput: capturesOutput).output
    }
}
