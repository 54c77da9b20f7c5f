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
    private let lock = Mutex(())

    /// The ledger of the consumer `clientID`, under `directory`.
    public init(directory: String, clientID: String, limit: Int = RequestLedger.hourlyLimit, now: @escaping @Sendable () -> Date = Date.init) {
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
        let times = recent()
        return Usage(used: times.count, limit: limit, nextFreeAt: times.min().map { $0.addingTimeInterval(3600) })
    }

    /// Records one request about to be sent, or refuses it when the hour's budget is spent.
    public func spend() throws(APIError) {
        try lock.withLock { _ throws(APIError) in
            let usage = usage()
            guard usage.remaining > 0 else {
                throw .budgetSpent(used: usage.used, limit: usage.limit, freesAt: usage.nextFreeAt ?? now().addingTimeInterval(3600))
            }
            append(now())
        }
    }

    private func recent() -> [Date] {
        guard let data = FileManager.default.contents(atPath: path) else { return [] }
        let cutoff = now().addingTimeInterval(-3600).timeIntervalSince1970
        var times: [Date] = []
        var lines = 0
        for line in data.split(separator: UInt8(ascii: "\n")) {
            lines += 1
            if let value = Double(String(decoding: line, as: UTF8.self)), value > cutoff { times.append(Date(timeIntervalSince1970: value)) }
        }
        // Old lines are dropped once they outnumber the hour's by far (rewritten whole, renamed
        // into place, so a concurrent reader sees the old file or the new one).
        if lines > 4 * limit && lines > 2 * times.count { compact(times) }
        return times
    }

    private func append(_ date: Date) {
        let fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return }
        defer { close(fd) }
        let line = Array(String(format: "%.3f\n", date.timeIntervalSince1970).utf8)
        _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
    }

    private func compact(_ times: [Date]) {
        let temporary = path + ".\(getpid()).tmp"
        let text = times.map { String(format: "%.3f\n", $0.timeIntervalSince1970) }.joined()
        guard FileManager.default.createFile(atPath: temporary, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else { return }
        if rename(temporary, path) != 0 { unlink(temporary) }
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
        if path.hasPrefix(prefix) { try ledger.spend() }
        return try await base.send(request)
    }
}
