import Foundation
import Synchronization
import Testing

@testable import BitbucketKit

/// The ledger reads only what was appended since it last looked; it must still count exactly
/// what the file holds, whoever wrote it, however the file changed in between.
@Suite struct RequestLedgerTests {
    final class Clock: Sendable {
        let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { time.withLock { $0 } }
        func advance(_ seconds: Double) { time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    func lines(_ times: [Double]) -> Data {
        Data(times.map { String(format: "%.3f\n", $0) }.joined().utf8)
    }

    @Test func twoProcessesSeeEachOthersRequests() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let a = RequestLedger(directory: home.path, clientID: "c", now: clock.now)
        let b = RequestLedger(directory: home.path, clientID: "c", now: clock.now)
        let other = RequestLedger(directory: home.path, clientID: "another consumer", now: clock.now)
        #expect(a.usage().used == 0)
        for _ in 0..<3 { try a.spend() }
        #expect(b.usage().used == 3)
        try b.spend()
        #expect(a.usage().used == 4)
        #expect(b.usage().used == 4)
        #expect(other.usage().used == 0)
        #expect(a.usage().nextFreeAt == clock.now().addingTimeInterval(3600))
    }

    @Test func requestsAgeOutAfterAnHour() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", now: clock.now)
        try ledger.spend()
        clock.advance(1800)
        try ledger.spend()
        #expect(ledger.usage().used == 2)
        clock.advance(1800.5)
        #expect(ledger.usage().used == 1)
        clock.advance(1800)
        #expect(ledger.usage().used == 0)
        #expect(ledger.usage().nextFreeAt == nil)
    }

    @Test func aLineStillBeingWrittenIsCountedOnceWhole() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", now: clock.now)
        let now = clock.now().timeIntervalSince1970
        #expect(
            FileManager.default.createFile(
                atPath: ledger.path, contents: lines([now - 10, now - 5]) + Data("\(Int(now))".utf8)))
        #expect(ledger.usage().used == 2)
        let handle = try #require(FileHandle(forWritingAtPath: ledger.path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(".250\n".utf8))
        try handle.close()
        #expect(ledger.usage().used == 3)
        #expect(ledger.usage().used == 3)
    }

    @Test func aReplacedOrShortenedFileIsReadAgainWhole() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", now: clock.now)
        let now = clock.now().timeIntervalSince1970
        #expect(
            FileManager.default.createFile(atPath: ledger.path, contents: lines(Array(repeating: now - 1, count: 10))))
        #expect(ledger.usage().used == 10)
        // Renamed into place by another process's compaction: a new file, fewer lines.
        let temporary = ledger.path + ".other"
        #expect(FileManager.default.createFile(atPath: temporary, contents: lines([now - 2, now - 3])))
        #expect(rename(temporary, ledger.path) == 0)
        #expect(ledger.usage().used == 2)
        // Cut in place.
        var handle = try #require(FileHandle(forWritingAtPath: ledger.path))
        try handle.truncate(atOffset: 0)
        try handle.close()
        #expect(ledger.usage().used == 0)
        // Rewritten in place, longer than before: what was read is no longer there.
        #expect(FileManager.default.createFile(atPath: ledger.path, contents: lines([now - 7, now - 8])))
        #expect(ledger.usage().used == 2)
        handle = try #require(FileHandle(forWritingAtPath: ledger.path))
        try handle.truncate(atOffset: 0)
        try handle.write(contentsOf: lines([now - 7200, now - 7200, now - 9, now - 9, now - 9]))
        try handle.close()
        #expect(ledger.usage().used == 3)
        // Removed.
        try FileManager.default.removeItem(atPath: ledger.path)
        #expect(ledger.usage().used == 0)
        try ledger.spend()
        #expect(ledger.usage().used == 1)
    }

    @Test func oldLinesAreDroppedOnceTheyOutnumberTheHoursByFar() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", limit: 100, now: clock.now)
        let now = clock.now().timeIntervalSince1970
        #expect(
            FileManager.default.createFile(
                atPath: ledger.path, contents: lines(Array(repeating: now - 7200, count: 401) + [now - 60, now - 30])))
        #expect(ledger.usage().used == 2)
        let text = try String(contentsOfFile: ledger.path, encoding: .utf8)
        #expect(text == String(format: "%.3f\n%.3f\n", now - 60, now - 30))
        try ledger.spend()
        #expect(ledger.usage().used == 3)
    }

    @Test func aCompactionThatCannotBeWrittenLeavesTheFileAndTheCountAsTheyAre() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", limit: 100, now: clock.now)
        let now = clock.now().timeIntervalSince1970
        let contents = lines(Array(repeating: now - 7200, count: 401) + [now - 60, now - 30])
        #expect(FileManager.default.createFile(atPath: ledger.path, contents: contents))
        // Where the compacted file would be written, a directory: the write fails.
        try FileManager.default.createDirectory(
            atPath: ledger.path + ".\(getpid()).tmp", withIntermediateDirectories: false)
        #expect(ledger.usage().used == 2)
        #expect(ledger.usage().used == 2)
        #expect(FileManager.default.contents(atPath: ledger.path) == contents)
        try ledger.spend()
        #expect(ledger.usage().used == 3)
    }

    @Test func theBudgetStopsAtTheReserve() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", limit: 30, now: clock.now)
        for _ in 0..<5 { try ledger.spend() }
        #expect(throws: APIError.self) { try ledger.spend() }
        #expect(ledger.usage().used == 5)
        #expect(ledger.usage().remaining == 0)
    }

    @Test(arguments: [
        ("1764412345.678", 1_764_412_345.678), ("17", 17.0), ("0.5", 0.5),
    ])
    func linesAreReadAsWritten(_ line: String, _ seconds: Double) {
        #expect(abs((RequestLedger.seconds(ArraySlice(line.utf8)) ?? -1) - seconds) < 1e-6)
    }

    @Test(arguments: [1_764_412_345.678, 1_764_412_345.0004, 1_764_412_345.9996, 0.05, 17])
    func linesAreWrittenAsPrintfWouldWriteThem(_ seconds: Double) {
        #expect(RequestLedger.line(seconds) == String(format: "%.3f\n", seconds))
    }

    @Test(arguments: ["", ".5", "1..2", "1e9", "inf", "-3", " 1", "12345678901234567890"])
    func damagedLinesAreSkipped(_ line: String) {
        #expect(RequestLedger.seconds(ArraySlice(line.utf8)) == nil)
    }
}

extension RequestLedgerTests {
    /// The last 1% of the hour (at most 10) is kept for first pages: the checks that make a
    /// walked workspace whole still go out when ordinary pages have spent the rest.
    @Test func firstPagesMaySpendTheLastRequestsOrdinaryPagesMayNot() throws {
        let home = TemporaryHome()
        defer { home.remove() }
        let clock = Clock()
        let ledger = RequestLedger(directory: home.path, clientID: "c", limit: 525, now: clock.now)
        #expect(ledger.firstPageReserve == 5)
        for _ in 0..<495 { try ledger.spend() }
        #expect(throws: APIError.self) { try ledger.spend() }
        for _ in 0..<5 { try ledger.spend(mayUseReserve: true) }
        #expect(throws: APIError.self) { try ledger.spend(mayUseReserve: true) }
        #expect(ledger.usage().used == 500)
        #expect(RequestLedger(directory: home.path, clientID: "d", limit: 5000, now: clock.now).firstPageReserve == 10)
    }
}
