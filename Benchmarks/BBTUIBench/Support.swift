import Foundation

/// Timing statistics over repeated runs.
struct Stats {
    var samples: [Duration]

    var median: Duration { samples.sorted()[samples.count / 2] }
    var p95: Duration { samples.sorted()[Swift.min(samples.count - 1, samples.count * 95 / 100)] }
    var min: Duration { samples.min() ?? .zero }

    var summary: String { "median \(format(median)), p95 \(format(p95)), min \(format(min)) (\(samples.count) runs)" }
}

/// Runs `body` `iterations` times (after a few warm-up runs) and times each run.
func measure(iterations: Int, warmup: Int = 3, _ body: () throws -> Void) rethrows -> Stats {
    for _ in 0..<warmup { try body() }
    let clock = ContinuousClock()
    var samples: [Duration] = []
    samples.reserveCapacity(iterations)
    for _ in 0..<iterations {
        let start = clock.now
        try body()
        samples.append(clock.now - start)
    }
    return Stats(samples: samples)
}

func format(_ duration: Duration) -> String {
    let (seconds, attoseconds) = duration.components
    let micros = Double(seconds) * 1_000_000 + Double(attoseconds) / 1_000_000_000_000
    if micros < 1000 { return String(format: "%.1f µs", micros) }
    if micros < 1_000_000 { return String(format: "%.2f ms", micros / 1000) }
    return String(format: "%.2f s", micros / 1_000_000)
}

/// Resident memory now and at its peak, in MiB, from /proc.
func memory() -> (current: Double, peak: Double) {
    let status = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
    func value(_ key: String) -> Double {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(key) }) else { return 0 }
        return Double(line.split(separator: " ").compactMap { Double($0) }.first ?? 0) / 1024
    }
    return (value("VmRSS:"), value("VmHWM:"))
}

/// Prints a result line.
func report(_ name: String, _ text: String) {
    print("- \(name): \(text)")
}
