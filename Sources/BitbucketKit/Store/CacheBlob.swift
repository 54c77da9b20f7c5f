import Foundation

/// A value the cache keeps as its own compact bytes rather than as JSON (large listings).
public protocol CacheBlob {
    func cacheBytes() -> [UInt8]
    /// Nil when the bytes are not a whole value of this kind (another format, damage).
    init?(cacheBytes: [UInt8])
}

/// A cache entry's name with the kind of value it holds and how that value is written. Typed, so
/// an entry can only be read as what was stored there; and the codec is the key's, so every
/// cache (the SQLite one, a test's in memory) stores the same bytes.
public struct CacheKey<Value>: Sendable {
    public let name: String
    private let encoder: @Sendable (Value) throws -> [UInt8]
    private let decoder: @Sendable ([UInt8]) -> Value?

    /// The value's bytes as stored.
    public func encode(_ value: Value) throws -> [UInt8] { try encoder(value) }
    /// The value, or nil when the bytes are not one (another format, damage).
    public func decode(_ bytes: [UInt8]) -> Value? { decoder(bytes) }

    /// Stored as JSON.
    public static func json(_ name: String) -> CacheKey where Value: Codable {
        CacheKey(
            name: name, encoder: { Array(try JSONEncoder().encode($0)) },
            decoder: { try? JSONDecoder().decode(Value.self, from: Data($0)) })
    }

    /// Stored as the value's own compact bytes.
    public static func blob(_ name: String) -> CacheKey where Value: CacheBlob {
        CacheKey(name: name, encoder: { $0.cacheBytes() }, decoder: { Value(cacheBytes: $0) })
    }
}
