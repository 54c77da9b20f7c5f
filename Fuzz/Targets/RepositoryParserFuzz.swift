import Foundation

// libFuzzer target: the one-pass repository page parser never traps, never reads past the body,
// and never disagrees with JSONDecoder: where it answers, the decoder reads the same page.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRepositoryParser(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Array(UnsafeBufferPointer(start: data, count: size))
    // Any bytes as a cache blob (a damaged cache file): read whole or refused, never a trap.
    _ = RepositorySnapshot(cacheBytes: Array("BBRS".utf8) + [3] + body)
    guard let fast = RepositoryPageParser.parse(body) else { return 0 }
    guard let slow = try? JSONDecoder().decode(RawPage<RawRepository>.self, from: Data(body)) else {
        fatalError("the parser accepted a page JSONDecoder refuses")
    }
    if fast.values != slow.values.map(\.model) || fast.next != slow.next || fast.size != slow.size
        || fast.pagelen != slow.pagelen
    {
        fatalError("the parser and JSONDecoder read different pages")
    }
    // The snapshot's binary form reads back exactly.
    let snapshot = RepositorySnapshot(workspaces: ["w"], repositories: fast.values)
    if RepositorySnapshot(cacheBytes: snapshot.cacheBytes()) != snapshot {
        fatalError("the cache blob did not round-trip")
    }
    return 0
}
