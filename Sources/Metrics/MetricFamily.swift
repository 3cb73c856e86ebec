/// A metric with its `# HELP` and `# TYPE` lines and its samples. Every pgsnap metric is a
/// gauge: each is a state at the time of the last run, none counts up across runs.
struct MetricFamily: Sendable, Equatable {
    var name: String
    var help: String
    var samples: [Sample]

    init(_ name: String, _ help: String, _ samples: [Sample]) {
        self.name = name
        self.help = help
        self.samples = samples
    }
}
