/// An HTTP request as the emulator core sees it, independent of the server framework.
public struct EmulatorRequest: Sendable {
    public var method: String
    /// The path, percent-decoded.
    public var path: String
    /// The raw query string (without `?`).
    public var query: String
    /// Header names lower-cased.
    public var headers: [String: String]
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, path: String, query: String = "", headers: [String: String] = [:], body: [UInt8] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = Dictionary(
            headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
        self.body = body
    }

    /// Query parameters in order, decoded.
    public var queryItems: [(String, String)] { FormEncoding.decode(query) }

    /// The first value of a query parameter.
    public func queryValue(_ name: String) -> String? {
        queryItems.first { $0.0 == name }?.1
    }
}

/// An HTTP response from the emulator core.
public struct EmulatorResponse: Sendable {
    public var status: Int
    public var headers: [(String, String)]
    public var body: String

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: String = "") {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first header with that name (case-insensitive).
    public func header(_ name: String) -> String? {
        headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    static func json(_ status: Int, _ value: JSONValue, headers: [(String, String)] = []) -> EmulatorResponse {
        EmulatorResponse(
            status: status, headers: [("Content-Type", "application/json; charset=utf-8")] + headers,
            body: value.serialized)
    }

    static func text(_ status: Int, _ text: String, type: String = "text/plain") -> EmulatorResponse {
        EmulatorResponse(status: status, headers: [("Content-Type", type)], body: text)
    }

    /// Bitbucket's API error envelope.
    static func apiError(
        _ status: Int, _ message: String, detail: JSONValue? = nil, data: JSONValue? = nil,
        headers: [(String, String)] = []
    ) -> EmulatorResponse {
        var error: [(String, JSONValue)] = [("message", .string(message))]
        if let detail { error.append(("detail", detail)) }
        if let data { error.append(("data", data)) }
        return json(status, .object([("type", .string("error")), ("error", .object(error))]), headers: headers)
    }

    /// The OAuth error body (`error_description` first, as Bitbucket sends it).
    static func oauthError(_ error: String, _ description: String, status: Int = 400) -> EmulatorResponse {
        json(status, .object([("error_description", .string(description)), ("error", .string(error))]))
    }
}

/// `application/x-www-form-urlencoded`, both ways.
public enum FormEncoding {
    /// Decodes `a=1&b=x%20y` into ordered pairs; `+` is a space.
    public static func decode(_ text: String) -> [(String, String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = percentDecode(String(parts[0]))
            let value = parts.count > 1 ? percentDecode(String(parts[1])) : ""
            return (key, value)
        }
    }

    /// Encodes ordered pairs.
    public static func encode(_ items: [(String, String)]) -> String {
        items.map { percentEncode($0.0) + "=" + percentEncode($0.1) }.joined(separator: "&")
    }

    /// Percent-decodes, treating `+` as a space; invalid escapes stay as they are.
    public static func percentDecode(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything but unreserved characters (RFC 3986).
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                out += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return out
    }
}

/// Lets a handler return an error response through `Result`.
extension EmulatorResponse: Error {}
