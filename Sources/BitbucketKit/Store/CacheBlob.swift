/// A value the cache keeps as its own compact bytes rather than as JSON (large listings).
public protocol CacheBlob {
    func cacheBytes() -> [UInt8]
    /// Nil when the bytes are not a whole value of this kind (another format, damage).
    init?(cacheBytes: [UInt8])
}
