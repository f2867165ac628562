import ArgumentParser
import Engine

@main
struct Grow: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "grow",
        abstract: "GrowingBrain: transfer learning by growing convolutional networks.",
        subcommands: [Pretrain.self, Inspect.self, Bench.self])
}
