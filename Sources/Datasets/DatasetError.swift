import Foundation

/// A problem with user data or a data source, reported as "FILE: PROBLEM".
///
/// Readers throw this (never trap) for anything that comes from outside the program: truncated or
/// corrupt files, inconsistent counts, unknown data set names, missing data. `file` names the file,
/// folder or source string; `problem` says what is wrong and, where there is one, what to do.
public struct DatasetError: Error, Equatable, Sendable, CustomStringConvertible, LocalizedError {
    public let file: String
    public let problem: String

    public init(_ file: String, _ problem: String) {
        self.file = file
        self.problem = problem
    }

    public var description: String { "\(file): \(problem)" }
    public var errorDescription: String? { description }
}

/// Reads a whole file. Data sets here are at most tens of MB, so one read is simplest and fastest.
func readFileBytes(_ path: String) throws -> [UInt8] {
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
        throw DatasetError(path, "no such file")
    }
    if isDirectory.boolValue { throw DatasetError(path, "is a directory, expected a file") }
    guard let data = FileManager.default.contents(atPath: path) else {
        throw DatasetError(path, "cannot be read (check permissions)")
    }
    return [UInt8](data)
}

/// Reads a file and inflates it when it starts with the gzip magic, so callers accept both forms.
func readMaybeGzipped(_ path: String) throws -> [UInt8] {
    let bytes = try readFileBytes(path)
    return Gzip.isGzip(bytes) ? try Gzip.decompress(bytes, file: path) : bytes
}
