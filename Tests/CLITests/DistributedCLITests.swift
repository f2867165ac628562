import XCTest
import Foundation

/// Data-parallel training under `mpirun -np 2` on loopback ends within float tolerance of one process: the
/// same global batches, each rank training on its half, gradients summed with MPI_Allreduce.
extension CLITests {
    /// mpirun with the flags a root CI container needs, or a skip where Open MPI is not installed.
    func mpirun(_ processes: Int) throws -> (wrapper: [String], environment: [String: String]) {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/mpirun") else {
            throw XCTSkip("Open MPI's mpirun is not installed (scripts/setup.sh installs openmpi-bin)")
        }
        return (["/usr/bin/mpirun", "-np", String(processes), "--oversubscribe", "--bind-to", "none"],
                ["OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1", "OMPI_MCA_btl": "self,vader,tcp"])
    }

    /// Every tensor of two safetensors files as floats, by name.
    func floats(_ name: String) throws -> [String: [Float]] {
        let (header, data) = try tensorBytes(name)
        return header.mapValues { info in
            let offsets = info["data_offsets"] as! [Int]
            return data.subdata(in: offsets[0]..<offsets[1]).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        }
    }

    /// The largest difference between the files' tensors, relative to each tensor's largest magnitude.
    func worstRelativeDifference(_ a: String, _ b: String) throws -> (Float, String) {
        let (x, y) = (try floats(a), try floats(b))
        XCTAssertEqual(Set(x.keys), Set(y.keys))
        var worst: (Float, String) = (0, "")
        for (name, u) in x {
            guard let v = y[name], v.count == u.count else { XCTFail("\(name) differs in shape"); continue }
            let scale = max(u.map(abs).max() ?? 0, 1e-12)
            let d = zip(u, v).map { abs($0 - $1) }.max() ?? 0
            if d / scale > worst.0 { worst = (d / scale, name) }
        }
        return worst
    }

    /// The learning curve's training losses saved in a checkpoint's resume state.
    func curveLosses(_ name: String) throws -> [Double] {
        let bytes = try Data(contentsOf: work.appendingPathComponent(name))
        let n = Int(bytes.prefix(8).withUnsafeBytes { UInt64(littleEndian: $0.loadUnaligned(as: UInt64.self)) })
        let header = try JSONSerialization.jsonObject(with: bytes.subdata(in: 8..<(8 + n))) as! [String: Any]
        let resume = (header["__metadata__"] as! [String: String])["resume"]!
        let state = try JSONSerialization.jsonObject(with: Data(resume.utf8)) as! [String: Any]
        let curve = (state["trainer"] as! [String: Any])["curve"] as! [[String: Any]]
        return curve.map { $0["trainLoss"] as! Double }
    }

    func testDataParallelTrainingOnTwoRanksMatchesOneProcess() throws {
        let (wrapper, environment) = try mpirun(2)
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        // Pretraining (dropout in FC6/FC7; each rank draws the masks of its rows of the global batch).
        let pretrain = ["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "16"]
        XCTAssertEqual(try launch(pretrain + ["--out", "src.safetensors"]).status, 0)
        let parallel = try launch(pretrain + ["--out", "src2.safetensors"], environment: environment, wrapper: wrapper)
        XCTAssertEqual(parallel.status, 0, parallel.err)
        XCTAssertEqual(parallel.out.components(separatedBy: "done in").count, 2, "only rank 0 reports: \(parallel.out)")
        let (pretrainDiff, pretrainWorst) = try worstRelativeDifference("src.safetensors", "src2.safetensors")
        XCTAssertLessThan(pretrainDiff, 1e-4, "pretraining on 2 ranks vs 1: \(pretrainWorst)")

        // Fine-tuning WA at depth All, 24 steps, a checkpoint at step 20 holding the curve (a point every step).
        let finetune = ["finetune", "--from", "src.safetensors", "--target", target, "--shots", "5", "--test-per-class", "10",
                        "--method", "wa", "--units", "8", "--depth", "all", "--iterations", "24", "--batch-size", "8", "--checkpoint-every", "20"]
        let one = try launch(finetune + ["--out", "one.safetensors"])
        XCTAssertEqual(one.status, 0)
        let two = try launch(finetune + ["--out", "two.safetensors"], environment: environment, wrapper: wrapper)
        XCTAssertEqual(two.status, 0, two.err)
        // The evaluation, shared by the ranks (each classifies its rows of every batch), reports what one process does.
        func accuracyLines(_ text: String) -> [Substring] { text.split(separator: "\n").filter { $0.contains("accuracy") || $0.contains("top-1") } }
        XCTAssertEqual(accuracyLines(two.out), accuracyLines(one.out))
        XCTAssertFalse(accuracyLines(one.out).isEmpty, one.out)
        let (diff, worst) = try worstRelativeDifference("one.safetensors", "two.safetensors")
        // Below AVX-512 the 3×3 layers run the own Winograd kernel, whose GEMMs group the tiles of the images a rank or
        // thread holds, so an image's forward rounds differently with another batch split too: measured 1.5e-4 there
        // (the momentum of fc8), 2e-5 with those layers direct, 4.5e-5 with oneDNN's Winograd on AVX-512.
        XCTAssertLessThan(diff, 3e-4, "fine-tuning on 2 ranks vs 1: \(worst)")
        let (a, b) = (try curveLosses("one.checkpoints/step-0000020.safetensors"), try curveLosses("two.checkpoints/step-0000020.safetensors"))
        XCTAssertEqual(a.count, b.count)
        XCTAssertFalse(a.isEmpty)
        // Same relative tolerance as the weights: splitting the batch changes the order of every gradient sum, and this
        // tiny few-shot run is unstable (losses of 5–40), which amplifies rounding differences to ~2e-5 by step 15.
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: 1e-4 * max(1, abs(x)), "per-step training loss \(a) vs \(b)") }

        // Stopped by SIGTERM on every rank after step 10 (as mpirun forwards it), then resumed on 2 ranks: the same bits
        // as the uninterrupted 2-rank run.
        let stopped = try launch(finetune + ["--out", "stop.safetensors"],
                                 environment: environment.merging(["GROW_FAULT_SIGNAL_AT_STEP": "TERM:10"]) { a, _ in a }, wrapper: wrapper)
        XCTAssertNotEqual(stopped.status, 0)
        XCTAssertTrue(stopped.out.contains("stopped after step 10"), stopped.out)
        let resumed = try launch(finetune + ["--out", "stop.safetensors", "--resume"], environment: environment, wrapper: wrapper)
        XCTAssertEqual(resumed.status, 0, resumed.err)
        try assertSameTensors("stop.safetensors", "two.safetensors", "2 ranks resumed after SIGTERM at step 10")
    }

    /// `mpirun -np 2 grow compare` spreads the runs over the ranks and rank 0 writes the same results a single
    /// process does (timings apart).
    func testComparisonGridSpreadOverTwoRanksGivesTheSameResults() throws {
        let (wrapper, environment) = try mpirun(2)
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let args = ["compare", "--from", "src.safetensors", "--target", target, "--shots", "5", "--quick", "--retention", source]
        XCTAssertEqual(try launch(args + ["--out", "one"]).status, 0)
        let two = try launch(args + ["--out", "two"], environment: environment, wrapper: wrapper)
        XCTAssertEqual(two.status, 0, two.err)
        XCTAssertEqual(two.out.components(separatedBy: "claims:").count, 2, "only rank 0 reports: \(two.out)")
        XCTAssertEqual(try resultsWithoutTimes("two"), try resultsWithoutTimes("one"))
        let report = try String(contentsOf: work.appendingPathComponent("two/report.md"), encoding: .utf8)
        XCTAssertTrue(report.contains("processes 2 (MPI ranks)"), "the report says how it ran")
        // Rank 1 late to read the finished-runs store, while rank 0 runs and saves: the ranks still agree on who runs
        // what, and no run is lost (before the ranks waited for each other there, this grid lost one).
        let late = try launch(args + ["--out", "late"], environment: environment.merging(["GROW_FAULT_SLOW_STORE_READ": "1:3"]) { a, _ in a },
                              wrapper: wrapper)
        XCTAssertEqual(late.status, 0, late.err)
        XCTAssertEqual(try resultsWithoutTimes("late"), try resultsWithoutTimes("one"))
    }

    /// A rank that fails ends the whole job with a message naming it, instead of leaving the others waiting in a collective.
    func testAFailedRankEndsTheJobWithAClearMessage() throws {
        let (wrapper, environment) = try mpirun(2)
        let source = try writeQuadrants(120, name: "source", seed: 1)
        let started = Date()
        let failed = try launch(["pretrain", "--dataset", source, "--epochs", "2", "--batch-size", "16", "--out", "src.safetensors"],
                                environment: environment.merging(["GROW_FAULT_FAIL_RANK": "1:3"]) { a, _ in a }, wrapper: wrapper, timeout: 120)
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertLessThan(Date().timeIntervalSince(started), 100, "the job ended instead of hanging")
        XCTAssertTrue(failed.err.contains("rank 1 of 2") && failed.err.contains("injected failure of rank 1 after step 3"), failed.err)
    }

    /// Two hosts simulated by network namespaces joined by a veth pair (scripts/netns-hosts.sh; traffic never leaves
    /// the machine), mpirun launching the remote rank through scripts/netns-rsh: data-parallel fine-tuning across them
    /// matches one process.
    func testDataParallelAcrossTwoSimulatedHosts() throws {
        let (_, environment) = try mpirun(2)
        let repo = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let hosts = repo.appendingPathComponent("scripts/netns-hosts.sh").path, rsh = repo.appendingPathComponent("scripts/netns-rsh").path
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/usr/sbin/ip") else {
            throw XCTSkip("making network namespaces needs root and iproute2")
        }
        let prefix = "gb\(getpid() % 100_000)", subnet = Int(getpid() % 250)
        let up = Process()
        up.executableURL = URL(fileURLWithPath: hosts)
        up.arguments = ["up", prefix, String(subnet)]
        try up.run(); up.waitUntilExit()
        defer {
            let down = Process()
            down.executableURL = URL(fileURLWithPath: hosts)
            down.arguments = ["down", prefix]
            try? down.run(); down.waitUntilExit()
        }
        guard up.terminationStatus == 0 else { throw XCTSkip("network namespaces cannot be made here") }

        let source = try writeQuadrants(120, name: "source", seed: 1)
        let target = try writeQuadrants(80, name: "target", seed: 2)
        try run(["pretrain", "--dataset", source, "--epochs", "1", "--batch-size", "32", "--out", "src.safetensors"])
        let finetune = ["finetune", "--from", "src.safetensors", "--target", target, "--shots", "5", "--test-per-class", "10",
                        "--method", "wa", "--units", "8", "--depth", "all", "--iterations", "16", "--batch-size", "8"]
        XCTAssertEqual(try launch(finetune + ["--out", "one.safetensors"]).status, 0)
        let net = "10.213.\(subnet)"
        let wrapper = ["/usr/sbin/ip", "netns", "exec", "\(prefix)-h0", "/usr/bin/mpirun", "--host", "\(net).10:1,\(net).11:1", "-np", "2",
                       "--mca", "plm_rsh_agent", rsh, "--mca", "oob_tcp_if_include", "\(net).0/24", "--mca", "btl_tcp_if_include", "\(net).0/24",
                       "--mca", "btl", "self,tcp", "-x", "OMPI_ALLOW_RUN_AS_ROOT", "-x", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "-x", "GROW_THREADS",
                       "-wdir", work.path]
        let hosted = try launch(finetune + ["--out", "hosts.safetensors"], environment: environment.merging(["OMPI_MCA_btl": "self,tcp"]) { _, b in b },
                                wrapper: wrapper, timeout: 180)
        XCTAssertEqual(hosted.status, 0, hosted.out + hosted.err)
        let (diff, worst) = try worstRelativeDifference("one.safetensors", "hosts.safetensors")
        XCTAssertLessThan(diff, 1e-4, "fine-tuning on 2 simulated hosts vs 1 process: \(worst)")
    }
}
