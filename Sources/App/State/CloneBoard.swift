import BitbucketKit
import Foundation

/// The clones started from the list in this run: each one's place in the queue, its progress
/// from git's own output, and how it ended (the clone log, `C`).
public struct CloneBoard: Equatable, Sendable {
    public enum Status: Equatable, Sendable {
        case queued
        case running(CloneProgress?)
        case finished(CloneOutcome)
    }

    public struct Entry: Equatable, Sendable {
        var isFinished: Bool {
            if case .finished = status { return true }
            return false
        }

        var isRunning: Bool {
            if case .running = status { return true }
            return false
        }

        public var fullName: String
        /// Where it goes (empty when it was refused before a directory was chosen).
        public var target: String
        public var cloneProtocol: CloneProtocol?
        public var status: Status
    }

    public var entries: [Entry] = []
    /// The clone log's first row shown.
    public var scroll = 0
    /// Where the current batch starts in `entries` (the status line counts from there).
    var batchStart = 0

    public init() {}

    /// Clones not finished yet.
    public var pending: Int {
        entries.filter { !$0.isFinished }.count
    }

    public var isRunning: Bool { pending > 0 }

    /// Whether `fullName` is queued or running (a second `c` does not clone it twice).
    public func isActive(_ fullName: String) -> Bool {
        entries.contains { $0.fullName == fullName && !$0.isFinished }
    }

    /// The entry still going (or last) for `fullName`.
    mutating func update(_ fullName: String, _ change: (inout Entry) -> Void) {
        guard let index = entries.lastIndex(where: { $0.fullName == fullName }) else { return }
        change(&entries[index])
    }

    /// The status line's summary while clones run: "Cloning: 2 of 5 done, 3 running · acme/api
    /// receiving objects 45%".
    public var summary: String? {
        guard isRunning else { return nil }
        let batch = entries[min(batchStart, entries.count)...]
        let running = batch.filter(\.isRunning)
        let done = batch.filter(\.isFinished).count
        var text = "Cloning: \(done) of \(batch.count) done, \(running.count) running"
        if let first = running.first, case .running(let progress?) = first.status {
            text += " · \(first.fullName) \(progress.phase.lowercased())"
            if let percent = progress.percent { text += " \(percent)%" }
        }
        return text
    }

    /// Adds clones to the queue; a batch started while nothing runs begins a new count.
    mutating func enqueue(_ new: [Entry]) {
        if !isRunning { batchStart = entries.count }
        entries += new
    }
}
