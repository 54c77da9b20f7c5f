import Foundation

// libFuzzer target: the config file's key names and command templates. A key name either reads
// as a key whose written name reads back as the same key, or is refused in words; an argument
// template either splits into text and placeholders that expand to exactly one argument, or is
// refused (an unmatched brace) — never a crash, never a second argument.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzKeys(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    for name in [text] + text.split(separator: "\n").prefix(8).map(String.init) {
        if let key = try? Key(name: name) {
            precondition((try? Key(name: key.description)) == key, "\(key) does not read back")
        }
    }
    let run = text.split(separator: "\u{0}", omittingEmptySubsequences: false).prefix(8).map(String.init)
    guard !run.isEmpty else { return 0 }
    var values: [String: String?] = [:]
    for (index, placeholder) in CustomCommand.placeholders.enumerated() {
        values[placeholder.name] = index == 3 ? nil : "<\(placeholder.name) \"$(x)\" ;\n>"
    }
    let command = CustomCommand(key: "b", title: "t", run: run, context: "repositories", background: true, line: 1)
    _ = CustomCommand.problem(in: run)
    if let arguments = try? command.arguments(values) {
        precondition(arguments.count == run.count, "an argument was split or lost")
        for (argument, template) in zip(arguments, run) where !template.contains("{") && !template.contains("}") {
            precondition(argument == template, "text without placeholders changed")
        }
    }
    return 0
}
