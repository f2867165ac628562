import XCTest
import Foundation

/// Faults injected into real `grow` processes (signals at a step, SIGKILL at a step and during a checkpoint
/// write, a NaN, a file-size limit): each run either resumes to the same bits as an uninterrupted run or
/// fails with a clear message, and no torn file is ever taken for a checkpoint.
extension CLITests {
    /// Runs grow with extra environment; returns (status or signal, stdout, stderr).
    /// `shell`: a shell command run first (e.g. `ulimit -f 64`); `wrapper`: a launcher the binary runs under (e.g. mpirun);
    /// after `timeout` seconds the process is terminated (a hang fails the test instead of the suite).
    func launch(_ arguments: [String], environment extra: [String: String] = [:], shell prefix: String? = nil,
                wrapper: [String] = [], timeout: Double = 600) throws -> (status: Int32, signaled: Bool, out: String, err: String) {
        let p = Process()
        if !wrapper.isEmpty {
            p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            p.arguments = wrapper + [try self.grow.path] + arguments
        } else if let prefix {
            p.executableURL = URL(fileURLWithPath: "/bin/sh")
            p.arguments = ["-c", prefix + "; exec \"$0\" \"$@\"", try self.grow.path] + arguments
        } else {
            p.executableURL = try self.grow
            p.arguments = arguments
        }
        p.currentDirectoryURL = work
        var env = ProcessInfo.processInfo.environment
        env["GROW_THREADS"] = "1"
        for (k, v) in extra { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe()
        p.standardOutput = out; p.standardError = err
        try p.run()
        let watchdog = DispatchWorkItem { if p.isRunning { p.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: watchdog)
        defer { watchdog.cancel() }
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, p.terminationReason == .uncaughtSignal, o, e)
    }

    /// The tensor part of a safetensors file: its header without `__metadata__`, and its data bytes.
    func tensorBytes(_ name: String) throws -> (header: [String: NSDictionary], data: Data) {
        let bytes = try Data(contentsOf: work.appendingPathComponent(name))
        let n = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        var header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as! [String: Any]
        header["__metadata__"] = nil
        return (header.mapValues { $0 as! NSDictionary }, bytes.subdata(in: (8 + n)..<bytes.count))
    }

    func assertSameTensors(_ a: String, _ b: String, _ message: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let (x, y) = (try tensorBytes(a), try tensorBytes(b))
        XCTAssertEqual(x.header, y.header, message, file: file, line: line)
        XCTAssertTrue(x.data == y.data, "\(message): the weights differ", file: file, line: line)
    }

    func checkpoints(_ folder: String) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: work.appendingPathComponent(folder).path)) ?? []).sorted()
    }

    func testFineTuningStoppedBySignalsAndCrashesResumesToTheSameBits() throws {
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        func finetune(_ out: String, _ extra: [String] = []) -> [String] {
            ["finetune", "--from", "src.safetensors", "--target", target, "--shots", "5", "--test-per-class", "10", "--method", "wa",
             "--units", "8", "--depth", "all", "--iterations", "24", "--batch-size", "8", "--out", out] + extra
        }
        let full = try launch(finetune("full.safetensors"))
        XCTAssertEqual(full.status, 0, full.err)
        let accuracy = full.out.split(separator: "\n").first { $0.contains("test top-1") }.map(String.init)
        XCTAssertNotNil(accuracy, full.out)

        // SIGTERM after step 14: a checkpoint, the command that resumes, exit 143; the resumed run ends on the same bits.
        let stopped = try launch(finetune("term.safetensors", ["--checkpoint-every", "10"]), environment: ["GROW_FAULT_SIGNAL_AT_STEP": "TERM:14"])
        XCTAssertEqual(stopped.status, 143, stopped.err)
        XCTAssertTrue(stopped.out.contains("stopped after step 14; saved") && stopped.out.contains("resume with:"), stopped.out)
        XCTAssertTrue(stopped.out.contains("--checkpoint-every 10 --resume"), stopped.out)
        XCTAssertEqual(checkpoints("term.checkpoints"), ["step-0000010.safetensors", "step-0000014.safetensors"])
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("term.safetensors").path))
        let resumed = try launch(finetune("term.safetensors", ["--checkpoint-every", "10", "--resume"]))
        XCTAssertEqual(resumed.status, 0, resumed.err)
        XCTAssertTrue(resumed.out.contains("resuming from") && resumed.out.contains("at step 14"), resumed.out)
        XCTAssertTrue(resumed.out.contains(accuracy ?? "?"), "same test accuracy: \(resumed.out)")
        try assertSameTensors("term.safetensors", "full.safetensors", "resumed after SIGTERM at step 14")

        // Ctrl-C (SIGINT) right after the first step: exit 130, and the same bits after resuming.
        let interrupted = try launch(finetune("int.safetensors"), environment: ["GROW_FAULT_SIGNAL_AT_STEP": "INT:1"])
        XCTAssertEqual(interrupted.status, 130, interrupted.err)
        XCTAssertEqual(try launch(finetune("int.safetensors", ["--resume"])).status, 0)
        try assertSameTensors("int.safetensors", "full.safetensors", "resumed after SIGINT at step 1")

        // kill -9 at step 15: no chance to save; the resume starts from the checkpoint at step 10.
        let killed = try launch(finetune("kill.safetensors", ["--checkpoint-every", "5"]), environment: ["GROW_FAULT_SIGNAL_AT_STEP": "KILL:17"])
        XCTAssertTrue(killed.signaled && killed.status == SIGKILL, "\(killed)")
        XCTAssertEqual(checkpoints("kill.checkpoints"), ["step-0000005.safetensors", "step-0000010.safetensors", "step-0000015.safetensors"])
        let afterKill = try launch(finetune("kill.safetensors", ["--checkpoint-every", "5", "--resume"]))
        XCTAssertTrue(afterKill.out.contains("at step 15"), afterKill.out)
        try assertSameTensors("kill.safetensors", "full.safetensors", "resumed after kill -9 at step 17")

        // SIGKILL half-way through writing the second checkpoint (step 10): the torn temporary file is never taken for
        // a checkpoint; the resume starts from step 5.
        let torn = try launch(finetune("torn.safetensors", ["--checkpoint-every", "5"]), environment: ["GROW_FAULT_SIGNAL_IN_WRITE": "KILL:2"])
        XCTAssertTrue(torn.signaled && torn.status == SIGKILL, "\(torn)")
        let left = checkpoints("torn.checkpoints")
        XCTAssertEqual(left.filter { $0.hasPrefix("step-") }, ["step-0000005.safetensors"])
        XCTAssertEqual(left.filter { $0.hasSuffix(".tmp") }.count, 1, "the half-written temporary file: \(left)")
        let afterTorn = try launch(finetune("torn.safetensors", ["--checkpoint-every", "5", "--resume"]))
        XCTAssertTrue(afterTorn.out.contains("at step 5"), afterTorn.out)
        try assertSameTensors("torn.safetensors", "full.safetensors", "resumed after a crash while writing the step-10 checkpoint")

        // A second SIGTERM while the first one's checkpoint is being written: exit 143 at once, and no file left, torn or whole.
        let impatient = try launch(finetune("twice.safetensors"), environment: ["GROW_FAULT_SIGNAL_AT_STEP": "TERM:6", "GROW_FAULT_SIGNAL_IN_WRITE": "TERM:1"])
        XCTAssertEqual(impatient.status, 143, impatient.err)
        XCTAssertFalse(impatient.out.contains("resume with:"), impatient.out)
        XCTAssertEqual(checkpoints("twice.checkpoints"), [])

        // A resume with other options is refused, naming them.
        let other = try launch(finetune("term.safetensors", ["--lr", "0.01", "--resume"]))
        XCTAssertEqual(other.status, 1)
        XCTAssertTrue(other.err.contains("different run") && other.err.contains("learningRate"), other.err)
        let nothing = try launch(finetune("none.safetensors", ["--resume"]))
        XCTAssertTrue(nothing.status != 0 && nothing.err.contains("no checkpoint to resume from"), nothing.err)
    }

    func testDivergenceAndAFullDiskFailClearlyAndKeepWhatWasGood() throws {
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let args = ["finetune", "--from", "src.safetensors", "--target", target, "--shots", "5", "--test-per-class", "10",
                    "--method", "wa", "--units", "8", "--depth", "all", "--iterations", "24", "--batch-size", "8", "--checkpoint-every", "10"]
        let nan = try launch(args + ["--out", "nan.safetensors"], environment: ["GROW_FAULT_NAN_AT_STEP": "15"])
        XCTAssertEqual(nan.status, 1)
        XCTAssertTrue(nan.err.contains("diverged at step 15") && nan.err.contains("--lr") && nan.err.contains("--scale"), nan.err)
        XCTAssertTrue(nan.err.contains("the last good checkpoint is") && nan.err.contains("nan.checkpoints/step-0000010.safetensors"), nan.err)
        XCTAssertFalse(FileManager.default.fileExists(atPath: work.appendingPathComponent("nan.safetensors").path))

        // 64 blocks of 512 bytes: smaller than any checkpoint, as a disk that runs out would be.
        let full = try launch(args + ["--out", "limited.safetensors"], shell: "ulimit -f 64")
        XCTAssertEqual(full.status, 1, full.err)
        XCTAssertTrue(full.err.contains("cannot write") && full.err.contains("limited.checkpoints/step-0000010.safetensors")
                      && full.err.contains("file-size limit") && full.err.contains("Nothing was replaced"), full.err)
        XCTAssertEqual(checkpoints("limited.checkpoints"), [], "no partial file left behind")
    }

    func testPretrainingInterruptedMidEpochResumesToTheSameBits() throws {
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let args = ["pretrain", "--dataset", source, "--epochs", "2", "--batch-size", "16"]
        XCTAssertEqual(try launch(args + ["--out", "full.safetensors"]).status, 0)
        let stopped = try launch(args + ["--out", "part.safetensors"], environment: ["GROW_FAULT_SIGNAL_AT_STEP": "TERM:11"])
        XCTAssertEqual(stopped.status, 143, stopped.err)
        XCTAssertTrue(stopped.out.contains("stopped after step 11"), stopped.out)
        let resumed = try launch(args + ["--out", "part.safetensors", "--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.err)
        try assertSameTensors("part.safetensors", "full.safetensors", "pretraining resumed after SIGTERM at step 11 of epoch 2")
    }

    /// results.csv without the timing column.
    func resultsWithoutTimes(_ folder: String) throws -> [String] {
        let csv = try String(contentsOf: work.appendingPathComponent("\(folder)/results.csv"), encoding: .utf8)
        return csv.split(separator: "\n").map { line in
            var fields = line.split(separator: ",", omittingEmptySubsequences: false)
            fields.remove(at: 11)   // seconds
            return fields.joined(separator: ",")
        }
    }

    func testComparisonStoppedMidGridContinuesWithTheRest() throws {
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let args = ["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick", "--retention", "none"]
        XCTAssertEqual(try launch(args + ["--out", "whole"]).status, 0)
        // SIGTERM in the third run of the grid: the report of the two finished ones, the command that continues, exit 143.
        let stopped = try launch(args + ["--out", "part"], environment: ["GROW_FAULT_SIGNAL_AT_STEP": "TERM:3:3"])
        XCTAssertEqual(stopped.status, 143, stopped.err)
        XCTAssertTrue(stopped.out.contains("the report holds the 2 finished runs") && stopped.out.contains("--out part"), stopped.out)
        XCTAssertEqual(try resultsWithoutTimes("part").count, 1 + 2)
        let continued = try launch(args + ["--out", "part"])
        XCTAssertEqual(continued.status, 0, continued.err)
        XCTAssertTrue(continued.err.contains("reusing 2 runs finished earlier"), continued.err)
        XCTAssertEqual(try resultsWithoutTimes("part"), try resultsWithoutTimes("whole"))
        // Another configuration into the same folder reuses nothing.
        let other = try launch(args + ["--out", "part", "--lr", "0.01"])
        XCTAssertFalse(other.err.contains("reusing"), other.err)
    }
}
