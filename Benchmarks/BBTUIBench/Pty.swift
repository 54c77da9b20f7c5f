import CNcursesw
import Foundation

/// A pseudo-terminal whose master side the benchmark reads.
final class PseudoTerminal {
    let master: Int32
    let slave: Int32

    init(width: Int, height: Int) {
        var master: Int32 = 0
        var slave: Int32 = 0
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        precondition(openpty(&master, &slave, nil, nil, &size) == 0, "openpty failed")
        self.master = master
        self.slave = slave
    }

    deinit {
        close(master)
        close(slave)
    }

    /// Reads what arrives until `quiet` passes with nothing new; returns the bytes.
    func drain(quiet: Int32 = 30) -> [UInt8] {
        var collected: [UInt8] = []
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        while poll(&fds, 1, quiet) > 0 {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { break }
            collected += buffer[0..<count]
        }
        return collected
    }

    /// Reads until the output contains `marker` or `timeout` passes; returns whether it did.
    func waitFor(_ marker: String, timeout: Duration) -> Bool {
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        var seen: [UInt8] = []
        let needle = Array(marker.utf8)
        var fds = [pollfd(fd: master, events: Int16(POLLIN), revents: 0)]
        while clock.now < deadline {
            guard poll(&fds, 1, 10) > 0 else { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = read(master, &buffer, buffer.count)
            if count <= 0 { return false }
            seen += buffer[0..<count]
            if seen.count >= needle.count, String(decoding: seen, as: UTF8.self).contains(marker) { return true }
        }
        return false
    }

    /// Starts a program with the slave side as its terminal.
    func spawn(_ path: String, arguments: [String], environment: [String: String]) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for fd in 0...2 { posix_spawn_file_actions_adddup2(&actions, slave, Int32(fd)) }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            for pointer in argv { free(pointer) }
            for pointer in envp { free(pointer) }
        }
        var pid: pid_t = 0
        precondition(posix_spawn(&pid, path, &actions, nil, argv, envp) == 0, "spawn failed")
        return pid
    }
}

/// CPU seconds (user + system) of a process and the context switches of each of its threads,
/// from /proc.
func processCounters(_ pid: pid_t) -> (cpu: Double, switches: [String: Int]) {
    let stat = (try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8)) ?? ""
    let fields = stat.split(separator: ")").last?.split(separator: " ") ?? []
    let ticks = Double(sysconf(Int32(_SC_CLK_TCK)))
    let cpu = fields.count > 13 ? ((Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)) / ticks : 0
    var switches: [String: Int] = [:]
    let taskDirectory = "/proc/\(pid)/task"
    for task in (try? FileManager.default.contentsOfDirectory(atPath: taskDirectory)) ?? [] {
        let status = (try? String(contentsOfFile: "\(taskDirectory)/\(task)/status", encoding: .utf8)) ?? ""
        var total = 0
        for line in status.split(separator: "\n") where line.contains("ctxt_switches") {
            total += Int(line.split(separator: "\t").last?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
        }
        switches[task] = total
    }
    return (cpu, switches)
}
