import Crypto
import Foundation
import Synchronization

/// Bitbucket allows an OAuth consumer 1,000 requests an hour to `/2.0/repositories/*` (a rolling
/// hour, answered with 429 past it and no `Retry-After`). The ledger remembers when bbtui sent
/// each of them, per consumer and across processes, so bbtui can say what it has spent and stop
/// short of the limit instead of running into it.
///
/// One file per consumer in the cache directory, one line per request (seconds since 1970),
/// appended with `O_APPEND` (atomic for short writes, no lock, no fsync: a lost line under a
/// crash makes the count low by one, and Bitbucket stays the judge).
public final class RequestLedger: Sendable {
    /// Bitbucket's limit for a consumer (`BBTUI_REQUEST_LIMIT` when Atlassian raised it).
    public static let hourlyLimit = 1_000
    /// bbtui stops this many requests short of the limit, so a listing that ends there still
    /// leaves room for the next command and for other tools of the same consumer.
    public static let reserve = 25

    public let path: String
    /// The consumer's hourly limit.
    public let limit: Int
    private let now: @Sendable () -> Date
    /// What was read of the file so far: a listing spends hundreds of requests, and reading the
    /// whole file for each would cost more than the requests' own parsing.
    private let state = Mutex(ReadState())

    private struct ReadState {
        /// The file read (device and inode: a compaction renames a new one into place).
        var file: (dev_t, ino_t)?
        /// Bytes read, and lines in them.
        var offset = 0
        /// The last bytes read (up to 32), checked again on the next read.
        var tail: [UInt8] = []
        var lines = 0
        /// The times of the lines read, as seconds since 1970.
        var times: [Double] = []
    }

    /// The ledger of the consumer `clientID`, under `directory`.
    public init(
        directory: String, clientID: String, limit: Int = RequestLedger.hourlyLimit,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.limit = max(RequestLedger.reserve + 1, limit)
        let digest = SHA256.hash(data: Data(clientID.utf8)).prefix(8).map { String(format: "%02x", $0) }.joined()
        path = directory + "/requests-\(digest).log"
        self.now = now
        try? SecureFiles.prepareDirectory(directory)
    }

    /// What was spent in the last hour.
    public struct Usage: Sendable, Equatable {
        public var used: Int
        public var limit: Int
        /// When the oldest request of the hour ages out (nil when none was made).
        public var nextFreeAt: Date?

        /// Requests bbtui lets itself send before it stops.
        public var remaining: Int { max(0, limit - RequestLedger.reserve - used) }
    }

    /// Requests sent in the rolling hour ending now.
    public func usage() -> Usage {
        let times = state.withLock { recent(&$0) }
        return Usage(
            used: times.count, limit: limit, nextFreeAt: times.min().map { Date(timeIntervalSince1970: $0 + 3600) })
    }

    /// Requests of the budget only `spend(mayUseReserve: true)` may use (1% of the limit, at
    /// most 10): when the hour runs out mid-listing, the checks of workspaces whose pages all
    /// arrived still go out, and those workspaces are whole.
    public var firstPageReserve: Int { min(10, limit / 100) }

    /// Records one request about to be sent, or refuses it when the hour's budget is spent
    /// (for an ordinary request, all but `firstPageReserve` of it).
    public func spend(mayUseReserve: Bool = false) throws(APIError) {
        try state.withLock { state throws(APIError) in
            let times = recent(&state)
            let usage = Usage(
                used: times.count, limit: limit, nextFreeAt: times.min().map { Date(timeIntervalSince1970: $0 + 3600) })
            guard usage.remaining > (mayUseReserve ? 0 : firstPageReserve) else {
                throw .budgetSpent(
                    used: usage.used, limit: usage.limit, freesAt: usage.nextFreeAt ?? now().addingTimeInterval(3600))
            }
            append(now())
        }
    }

    /// The times of the rolling hour's requests, reading only what was appended since the last
    /// look (the whole file again when it was replaced or cut).
    private func recent(_ state: inout ReadState) -> [Double] {
        let cutoff = now().addingTimeInterval(-3600).timeIntervalSince1970
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else {
            state = ReadState()
            return []
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { return [] }
        if let file = state.file, file != (info.st_dev, info.st_ino) || Int(info.st_size) < state.offset {
            state = ReadState()
        }
        state.file = (info.st_dev, info.st_ino)
        let size = Int(info.st_size)
        // The last bytes read are read again: if they changed, the file was rewritten in place.
        let from = state.offset - state.tail.count
        if size > from {
            var buffer = [UInt8](repeating: 0, count: size - from)
            let read = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(from)) }
            if read >= state.tail.count, buffer.starts(with: state.tail) {
                let fresh = buffer[state.tail.count..<read]
                // Whole lines only: a line being appended is read next time.
                if let last = fresh.lastIndex(of: UInt8(ascii: "\n")) {
                    for line in fresh[...last].split(separator: UInt8(ascii: "\n")) {
                        state.lines += 1
                        if let value = RequestLedger.seconds(line) { state.times.append(value) }
                    }
                    state.offset = from + last + 1
                    state.tail = Array(buffer[max(0, last + 1 - 32)...last])
                }
            } else if !state.tail.isEmpty {
                state = ReadState()
                return recent(&state)
            }
        }
        state.times.removeAll { $0 <= cutoff }
        // Old lines are dropped once they outnumber the hour's by far (rewritten whole, renamed
        // into place, so a concurrent reader sees the old file or the new one).
        if state.lines > 4 * limit && state.lines > 2 * state.times.count, compact(state.times) {
            state = ReadState()
            return recent(&state)
        }
        return state.times
    }

    /// `1764412345.678\n` (milliseconds; `String(format:)` costs more than the request's parsing).
    static func line(_ seconds: Double) -> String {
        let milliseconds = Int64((max(0, seconds) * 1000).rounded())
        let fraction = String(milliseconds % 1000)
        return "\(milliseconds / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)\n"
    }

    /// `1764412345.678`: digits, optionally a fraction (what `append` writes).
    static func seconds(_ line: ArraySlice<UInt8>) -> Double? {
        var whole = 0.0
        var fraction = 0.0
        var scale = 1.0
        var digits = 0
        var inFraction = false
        for byte in line {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                digits += 1
                if inFraction {
                    scale /= 10
                    fraction += Double(byte - 0x30) * scale
                } else {
                    whole = whole * 10 + Double(byte - 0x30)
                }
            case UInt8(ascii: ".") where !inFraction && digits > 0:
                inFraction = true
            default:
                return nil
            }
        }
        return digits > 0 && digits < 20 ? whole + fraction : nil
    }

    private func append(_ date: Date) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array(RequestLedger.line(date.timeIntervalSince1970).utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    /// True when the file was replaced by one holding only `times`.
    private func compact(_ times: [Double]) -> Bool {
        let temporary = path + ".\(getpid()).tmp"
        let text = times.map(RequestLedger.line).joined()
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600])
        else { return false }
        if rename(temporary, path) != 0 {
            unlink(temporary)
            return false
        }
        return true
    }
}

/// Spends from the ledger for every request to `/2.0/repositories/*`, and refuses the request,
/// without sending it, once the hour's budget is spent.
public struct BudgetedTransport: HTTPTransport {
    let base: any HTTPTransport
    let ledger: RequestLedger
    let apiPath: String

    public init(_ base: any HTTPTransport, ledger: RequestLedger, apiURL: URL) {
        self.base = base
        self.ledger = ledger
        apiPath = apiURL.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
    }

    public func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        let path = request.url.path.trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        let prefix = apiPath.isEmpty ? "repositories/" : apiPath + "/repositories/"
        if path.hasPrefix(prefix) { try ledger.spend(mayUseReserve: request.mayUseBudgetReserve) }
        return try await base.send(request)
    }
}
