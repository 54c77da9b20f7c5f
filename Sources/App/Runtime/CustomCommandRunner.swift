import BitbucketKit
import Foundation
import Synchronization
import TerminalUI

/// How a custom command ended, for the status line.
public enum CommandOutcome: Equatable, Sendable {
    /// Exit 0, with the last line it wrote to stdout (in the background) or nothing.
    case succeeded(lastLine: String?)
    /// Exit status or signal, with the last line of its stderr.
    case failed(status: String, lastLine: String?)
    /// It never ran: a placeholder without a value, a program that is not there.
    case refused(String)
}

/// Runs the person's `[[commands]]`: the argument vector as written, each placeholder filled with
/// one value whole (no shell ever reads it), found on PATH like a shell would.
public enum CustomCommandRunner {
    /// The placeholders' values for `repository` (nil where it has none). `cloneDirectory` is
    /// where `c` would clone it.
    static func values(for repository: Repository, cloneDirectory: String?) -> [String: String?] {
        [
            "full_name": repository.fullName, "workspace": repository.workspaceSlug, "slug": repository.slug,
            "ssh_url": repository.cloneSSH, "https_url": repository.cloneHTTPS, "web_url": repository.webURL,
            "mainbranch": repository.mainBranch, "project": repository.projectKey, "clone_dir": cloneDirectory,
        ]
    }

    /// Why a placeholder has no value, in words.
    static func missing(_ name: String, _ repository: Repository?) -> String {
        guard let repository else { return "{\(name)} needs a repository: select one in the list first" }
        let full = Sanitizer.sanitize(repository.fullName)
        switch name {
        case "mainbranch": return "\(full) has no main branch (it is empty), so {mainbranch} has no value"
        case "project": return "\(full) is in no project, so {project} has no value"
        case "clone_dir": return "{clone_dir} has no value: cloning is not set up here"
        default: return "Bitbucket gave \(full) no value for {\(name)}"
        }
    }

    /// Pids of background commands still running (their process groups), to end on quitting.
    static let running = Mutex<Set<pid_t>>([])

    /// Ends the background commands still running (SIGTERM to each one's group); how many.
    public static func stopAll() -> Int {
        let pids = running.withLock { pids in
            defer { pids = [] }
            return pids
        }
        for pid in pids { kill(-pid, SIGTERM) }
        return pids.count
    }

    /// Runs `arguments` and waits. In the foreground the program has the terminal (stdin and
    /// stdout), and its stderr is passed through while its last line is kept; in the background
    /// it has no terminal at all (a session of its own, stdin from /dev/null) and both outputs
    /// are kept to their last line. It runs in bbtui's directory, where the person started it.
    static func run(_ arguments: [String], foreground: Bool) -> CommandOutcome {
        var errorPipe: [Int32] = [-1, -1]
        var outputPipe: [Int32] = [-1, -1]
        guard SpawnAttributes.closeOnExecPipe(&errorPipe) == 0,
            foreground || SpawnAttributes.closeOnExecPipe(&outputPipe) == 0
        else { return .refused("Could not make a pipe: \(String(cString: strerror(errno)))") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        if !foreground {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_adddup2(&actions, outputPipe[1], 1)
        }
        posix_spawn_file_actions_adddup2(&actions, errorPipe[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        var pid: pid_t = 0
        let spawned = SpawnAttributes.with(newSession: !foreground) { attributes in
            posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, environ)
        }
        close(errorPipe[1])
        if !foreground { close(outputPipe[1]) }
        defer {
            close(errorPipe[0])
            if !foreground { close(outputPipe[0]) }
        }
        guard spawned == 0 else {
            let program = Sanitizer.sanitize(arguments[0])
            if spawned == ENOENT {
                return .refused("no program \(program) on PATH: install it, or write its full path in run")
            }
            return .refused("could not run \(program): \(String(cString: strerror(spawned)))")
        }
        if !foreground { _ = running.withLock { $0.insert(pid) } }
        defer { if !foreground { _ = running.withLock { $0.remove(pid) } } }
        // Read both outputs to their ends (a program blocked on a full pipe never exits).
        var errorTail = LastLine()
        var outputTail = LastLine()
        var fds = [pollfd(fd: errorPipe[0], events: Int16(POLLIN), revents: 0)]
        if !foreground { fds.append(pollfd(fd: outputPipe[0], events: Int16(POLLIN), revents: 0)) }
        var open = fds.count
        var buffer = [UInt8](repeating: 0, count: 4096)
        while open > 0 {
            guard poll(&fds, nfds_t(fds.count), -1) >= 0 else {
                if errno == EINTR { continue }
                break
            }
            for index in fds.indices where fds[index].fd >= 0 && fds[index].revents != 0 {
                let count = buffer.withUnsafeMutableBytes { read(fds[index].fd, $0.baseAddress, $0.count) }
                if count < 0, errno == EINTR || errno == EAGAIN { continue }
                guard count > 0 else {
                    fds[index].fd = -1
                    open -= 1
                    continue
                }
                let bytes = buffer[0..<count]
                if index == 0 {
                    errorTail.add(bytes)
                    // In the foreground the person sees it as it comes.
                    if foreground { bytes.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) } }
                } else {
                    outputTail.add(bytes)
                }
            }
        }
        guard let status = SpawnAttributes.waitStatus(for: pid) else {
            return .failed(status: "its end was lost: \(String(cString: strerror(errno)))", lastLine: errorTail.line)
        }
        let exit = ChildExit(waitStatus: status)
        guard exit == .exited(0) else { return .failed(status: exit.description, lastLine: errorTail.line) }
        return .succeeded(lastLine: foreground ? nil : outputTail.line)
    }

    /// The last non-blank line of a stream, kept in a bounded buffer.
    struct LastLine {
        private var bytes: [UInt8] = []

        mutating func add(_ chunk: ArraySlice<UInt8>) {
            bytes += chunk
            if bytes.count > 8192 { bytes.removeFirst(bytes.count - 4096) }
        }

        /// Sanitised, at most 200 characters.
        var line: String? {
            let text = String(decoding: bytes, as: UTF8.self)
            let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r" || $0 == "\r\n" })
            guard let last = lines.last(where: { !$0.trimmingCharacters(in: .whitespaces).isEmpty }) else {
                return nil
            }
            let clean = Sanitizer.sanitize(String(last)).trimmingCharacters(in: .whitespaces)
            return clean.count > 200 ? String(clean.prefix(199)) + "…" : clean
        }
    }
}
