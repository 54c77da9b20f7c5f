import Foundation
import Synchronization

/// How far one clone is, from git's own progress lines (`Receiving objects:  45% (9/20)`).
public struct CloneProgress: Sendable, Equatable {
    /// git's phase: `Counting objects`, `Receiving objects`, `Resolving deltas`, …
    public var phase: String
    public var percent: Int?

    public init(phase: String, percent: Int?) {
        self.phase = phase
        self.percent = percent
    }

    /// The progress a line of git's stderr reports, or nil for any other line.
    public static func parse(_ line: String) -> CloneProgress? {
        var text = Substring(line)
        if text.hasPrefix("remote: ") { text = text.dropFirst(8) }
        guard let colon = text.firstIndex(of: ":") else { return nil }
        let phase = text[..<colon]
        guard !phase.isEmpty, phase.count <= 40, phase.allSatisfy({ $0.isLetter || $0 == " " }),
            phase.first?.isUppercase == true
        else { return nil }
        let rest = text[text.index(after: colon)...].drop { $0 == " " }
        let digits = rest.prefix { $0.isNumber }
        let percent = rest.dropFirst(digits.count).first == "%" ? Int(digits).map { min(100, $0) } : nil
        return CloneProgress(phase: String(phase), percent: percent)
    }
}

/// How one clone ended.
public enum CloneOutcome: Sendable, Equatable {
    case cloned
    /// What went wrong, in words.
    case failed(String)
    case cancelled
}

/// What the clones report while they run.
public enum CloneEvent: Sendable, Equatable {
    case started(CloneJob)
    case progress(fullName: String, CloneProgress)
    case finished(fullName: String, CloneOutcome)
}

/// Runs git clones: a few at once, each into a hidden directory beside its target that becomes
/// the target only when git succeeded, so a failed or cancelled clone leaves nothing behind.
public enum Cloner {
    /// How many clones run at once: enough to overlap one clone's round trips with another's
    /// transfer, few enough not to look like abuse to Bitbucket or to starve a small machine
    /// (measured in `docs/PERFORMANCE.md`).
    public static let concurrentClones = 4

    /// Runs `jobs`, at most `limit` at once, reporting each step; returns each outcome in the
    /// order of `jobs`. Cancelling the task cancels every clone still running.
    public static func run(
        _ jobs: [CloneJob], limit: Int = concurrentClones, environment: [String: String],
        onEvent: @escaping @Sendable (CloneEvent) -> Void
    ) async -> [CloneOutcome] {
        var outcomes = [CloneOutcome](repeating: .cancelled, count: jobs.count)
        await withTaskGroup(of: (Int, CloneOutcome).self) { group in
            var next = 0
            func startNext() {
                guard next < jobs.count else { return }
                let index = next
                next += 1
                group.addTask {
                    let job = jobs[index]
                    if Task.isCancelled {
                        onEvent(.finished(fullName: job.fullName, .cancelled))
                        return (index, .cancelled)
                    }
                    onEvent(.started(job))
                    let outcome = await clone(job, environment: environment) { progress in
                        onEvent(.progress(fullName: job.fullName, progress))
                    }
                    onEvent(.finished(fullName: job.fullName, outcome))
                    return (index, outcome)
                }
            }
            for _ in 0..<max(1, limit) { startNext() }
            while let (index, outcome) = await group.next() {
                outcomes[index] = outcome
                startNext()
            }
        }
        return outcomes
    }

    /// One clone; cancelling the task stops git and removes what it wrote.
    public static func clone(
        _ job: CloneJob, environment: [String: String], onProgress: @escaping @Sendable (CloneProgress) -> Void
    ) async -> CloneOutcome {
        let process = CloneProcess()
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                Thread.detachNewThread {
                    continuation.resume(
                        returning: process.run(job, environment: environment, onProgress: onProgress))
                }
            }
        } onCancel: {
            process.cancel()
        }
    }
}

/// One git process and the directories it may leave; `cancel()` from any thread.
final class CloneProcess: Sendable {
    private struct State {
        var pid: pid_t = 0
        var isCancelled = false
    }

    private let state = Mutex(State())
    /// The umask bbtui started with (it then sets 077 for its own files): a clone's working tree
    /// gets the modes the person's own `git clone` would give it.
    static let personUmask = Atomic<UInt32>(0o022)
    /// Serialises the moment the umask is widened for a spawn.
    private static let spawning = Mutex<Void>(())
    /// The parent directories clones made and may remove again.
    private static let directories = Mutex<Set<String>>([])

    func cancel() {
        state.withLock { state in
            state.isCancelled = true
            // git leads a session of its own: the group takes its helpers (remote-https,
            // index-pack, ssh) with it.
            if state.pid > 0 { kill(-state.pid, SIGTERM) }
        }
    }

    /// Blocks until the clone ends (call it on a thread of its own).
    func run(
        _ job: CloneJob, environment: [String: String], onProgress: @escaping @Sendable (CloneProgress) -> Void
    ) -> CloneOutcome {
        let target = job.target
        let parent = (target as NSString).deletingLastPathComponent
        let name = (target as NSString).lastPathComponent
        let fileManager = FileManager.default
        // Directories are made and removed under one lock, with a record of those clones made:
        // two clones sharing a new parent leave it to whichever ends last, and a failure removes
        // exactly what clones made, never a directory that was there before.
        func undo(target claimed: Bool = true) {
            Self.directories.withLock { made in
                if claimed { rmdir(target) }
                var path = parent
                while made.contains(path), rmdir(path) == 0 {
                    made.remove(path)
                    path = (path as NSString).deletingLastPathComponent
                }
            }
        }
        let claimed = Self.directories.withLock { made -> String? in
            var path = ""
            for part in parent.split(separator: "/") {
                path += "/" + part
                if mkdir(path, 0o755) == 0 {
                    // As the person's own `mkdir` would make it, not bbtui's private 077.
                    chmod(path, mode_t(0o777 & ~Self.personUmask.load(ordering: .relaxed)))
                    made.insert(path)
                } else if errno != EEXIST {
                    return "Could not make \(path): \(String(cString: strerror(errno)))."
                }
            }
            // The target is claimed at once (mkdir is atomic): two clones never share it, and one
            // that exists is never touched.
            guard mkdir(target, 0o755) == 0 else {
                return "Not cloned into \(target): "
                    + (errno == EEXIST ? "it already exists." : "\(String(cString: strerror(errno))).")
            }
            return nil
        }
        if let failure = claimed {
            undo(target: false)
            return .failed(failure)
        }
        let temporary = parent + "/." + name + ".bbtui-clone-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        var environment = environment
        environment["GIT_TERMINAL_PROMPT"] = "0"
        environment["GCM_INTERACTIVE"] = "never"
        environment["LC_ALL"] = "C"
        let (status, lines) = spawnAndRead(
            job.arguments + [temporary], environment: environment, onProgress: onProgress)
        let cancelled = state.withLock { $0.isCancelled }
        if status == 0, !cancelled, rename(temporary, target) == 0 {
            return .cloned
        }
        try? fileManager.removeItem(atPath: temporary)
        undo()
        if cancelled { return .cancelled }
        if status == 0 {
            return .failed("Could not move the clone into \(target): \(String(cString: strerror(errno))).")
        }
        return .failed(Self.describe(lines, job: job, status: status))
    }

    /// Starts git (own session, no terminal, stdin and stdout on /dev/null, stderr to a pipe) and
    /// reads its stderr to the end. Returns the wait status (-1: not started) and its last lines.
    private func spawnAndRead(
        _ arguments: [String], environment: [String: String], onProgress: @Sendable (CloneProgress) -> Void
    ) -> (Int32, [String]) {
        var fds: [Int32] = [0, 0]
        // The child gets the write end through its dup2 only.
        guard SpawnAttributes.closeOnExecPipe(&fds) == 0 else {
            return (-1, ["pipe: \(String(cString: strerror(errno)))"])
        }
        defer { close(fds[0]) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, fds[1], 2)
        let argv = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { for pointer in envp { free(pointer) } }
        var pid: pid_t = 0
        let spawned = state.withLock { state -> Int32 in
            guard !state.isCancelled else { return ECANCELED }
            // posix_spawn has no umask attribute: the person's is set for the spawn only. Every
            // file bbtui itself creates passes an explicit 0600 or 0700 mode, which no umask widens.
            // A session of its own: no controlling terminal, so neither git nor ssh can open
            // /dev/tty and write over the full screen or wait for a password there.
            let result = SpawnAttributes.with(newSession: true) { attributes in
                Self.spawning.withLock { _ in
                    let own = umask(mode_t(Self.personUmask.load(ordering: .relaxed)))
                    defer { umask(own) }
                    return posix_spawnp(&pid, arguments[0], &actions, &attributes, argv, envp)
                }
            }
            if result == 0 { state.pid = pid }
            return result
        }
        close(fds[1])
        guard spawned == 0 else {
            return (
                -1,
                spawned == ECANCELED
                    ? [] : ["could not run git (\(String(cString: strerror(spawned)))): is git installed and on PATH?"]
            )
        }
        var lines: [String] = []
        var pending: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        func finish(_ bytes: ArraySlice<UInt8>) {
            let line = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { return }
            if let progress = CloneProgress.parse(line) {
                onProgress(progress)
            } else {
                lines.append(line)
                if lines.count > 20 { lines.removeFirst() }
            }
        }
        while true {
            let count = buffer.withUnsafeMutableBytes { read(fds[0], $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            for byte in buffer[..<count] {
                if byte == 10 || byte == 13 {
                    finish(pending[...])
                    pending.removeAll(keepingCapacity: true)
                } else if pending.count < 4096 {
                    pending.append(byte)
                }
            }
        }
        finish(pending[...])
        // A child that cannot be waited for is not taken for a success.
        let status = SpawnAttributes.waitStatus(for: pid) ?? -1
        state.withLock { $0.pid = 0 }
        return (status, lines)
    }

    /// git's failure in words: the refusal, the missing repository, the network, the SSH key.
    static func describe(_ lines: [String], job: CloneJob, status: Int32) -> String {
        let text = lines.joined(separator: "\n")
        let has = { (needle: String) in text.localizedCaseInsensitiveContains(needle) }
        let name = job.fullName
        if has("returned error: 403") || has("error: 403") {
            return
                "\(name): Bitbucket refused access (HTTP 403): the login lacks the repository permission, or the account cannot read this repository."
        }
        if has("Authentication failed") || has("could not read Username") || has("could not read Password")
            || has("returned error: 401")
        {
            return
                "\(name): Bitbucket refused the credentials over HTTPS: log in again (`bbtui login`), or check that `bbtui git-credential` answers for this host."
        }
        if has("Repository not found") || has("not found") || has("returned error: 404")
            || has("does not appear to be a git repository")
        {
            return "\(name): no such repository, or the account cannot see it."
        }
        if has("Permission denied (publickey") {
            return
                "\(name): Bitbucket refused this machine's SSH keys: add one in the SSH keys pane, or clone over HTTPS (`--protocol https`)."
        }
        if has("Host key verification failed") {
            return
                "\(name): ssh does not know Bitbucket's host key yet: run `ssh -T git@bitbucket.org` once to check and accept it, or clone over HTTPS."
        }
        if has("Could not resolve host") || has("Failed to connect") || has("Connection refused")
            || has("Connection timed out") || has("Network is unreachable") || has("Could not resolve hostname")
            || has("early EOF") || has("RPC failed")
        {
            let detail = lines.last { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") || $0.hasPrefix("ssh:") }
            return "\(name): the network failed: \(detail ?? lines.last ?? "git could not reach the server")."
        }
        if status == -1 { return "\(name): \(lines.last ?? "git could not be started.")" }
        let reason = lines.last { $0.hasPrefix("fatal:") } ?? lines.last
        return "\(name): git failed (\(ChildExit(waitStatus: status)))" + (reason.map { ": \($0)" } ?? ".")
    }
}
