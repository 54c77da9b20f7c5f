import Synchronization
import Testing

/// Stops every emulator a test started, and waits for it, when the test ends (passed, failed or
/// thrown): the awaited teardown that `defer` cannot give an async test.
///
/// `@Suite(.stopsEmulators)` scopes each test; harnesses hand their emulators to `adopt`.
public struct EmulatorScope: SuiteTrait, TestTrait, TestScoping {
    public var isRecursive: Bool { true }

    /// Creates the trait.
    public init() {}

    public func provideScope(
        for test: Test, testCase: Test.Case?, performing function: @Sendable () async throws -> Void
    ) async throws {
        // A suite-level scope call has no test case: only individual test cases get a registry.
        guard testCase != nil else { return try await function() }
        let registry = Registry()
        let outcome: Result<Void, any Error>
        do {
            try await Registry.$current.withValue(registry) { try await function() }
            outcome = .success(())
        } catch {
            outcome = .failure(error)
        }
        for stop in registry.drain() { await stop() }
        try outcome.get()
    }

    /// Registers a teardown for the running test. Returns false outside a scope: the caller
    /// then stops the emulator itself.
    @discardableResult
    public static func adopt(_ stop: @escaping @Sendable () async -> Void) -> Bool {
        guard let registry = Registry.current else { return false }
        registry.add(stop)
        return true
    }

    final class Registry: Sendable {
        @TaskLocal static var current: Registry?
        private let stops = Mutex<[@Sendable () async -> Void]>([])
        func add(_ stop: @escaping @Sendable () async -> Void) { stops.withLock { $0.append(stop) } }
        func drain() -> [@Sendable () async -> Void] {
            stops.withLock { stops in
                defer { stops = [] }
                return stops.reversed()
            }
        }
    }
}

extension Trait where Self == EmulatorScope {
    /// Stops, and waits for, every emulator (and listener) the test started.
    public static var stopsEmulators: EmulatorScope { EmulatorScope() }
}
