import Foundation

// libFuzzer target: any body, as any of the API's shapes, decodes or fails with an error: never
// a trap (tolerant decoding, optional fields, odd numbers and dates).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzModels(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let body = Data(UnsafeBufferPointer(start: data, count: size))
    let decoder = JSONDecoder()
    if let page = try? decoder.decode(RawPage<RawRepository>.self, from: body) { _ = page.values.map(\.model) }
    if let page = try? decoder.decode(RawPage<RawEmail>.self, from: body) { _ = page.values.map(\.model) }
    if let page = try? decoder.decode(RawPage<RawWorkspaceAccess>.self, from: body) { _ = page.values.count }
    if let user = try? decoder.decode(RawUser.self, from: body) { _ = user.model(scopes: ["account"]) }
    _ = try? decoder.decode(RawWorkspace.self, from: body)
    _ = try? decoder.decode(RawErrorEnvelope.self, from: body)
    if let token = try? decoder.decode(TokenResponse.self, from: body) {
        _ = try? token.token(now: Date(timeIntervalSince1970: 0))
    }
    _ = try? decoder.decode(OAuthErrorBody.self, from: body)
    return 0
}
