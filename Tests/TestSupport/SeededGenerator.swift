/// The tests' one deterministic generator (SplitMix64): a failing property or fuzz-like run is
/// replayed exactly from its seed. (The emulator keeps its own, with Bitbucket-shaped helpers:
/// product code cannot depend on a test target.)
public struct SeededGenerator: RandomNumberGenerator, Sendable {
    public var state: UInt64

    /// Starts from `seed`.
    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (0 when the bound is not positive).
    public mutating func int(_ bound: Int) -> Int { bound <= 0 ? 0 : Int(next() % UInt64(bound)) }
}
