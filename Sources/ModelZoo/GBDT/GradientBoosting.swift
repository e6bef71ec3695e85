/// The boosting loop, after LightGBM's `GBDT` class: bagging and column sampling,
/// gradients from the objective, one tree per round from the tree learner, leaf refit
/// and shrinkage, score updates, and early stopping on a validation set.
struct GradientBoosting {
    let objectiveKind: ObjectiveKind
    let parameters: GBDTParameters

    func train(_ x: FeatureMatrix, labels: [Double], validation: (x: FeatureMatrix, labels: [Double])?,
               progress: (@Sendable (Int, Int) -> Void)?, evaluation: ConcurrentEvaluation?) throws -> (model: GBDTModel, trainingRaw: [Double]?) {
        try parameters.validate()
        guard x.columnCount > 0 else { throw GBDTError.noFeatures }
        try Self.checkShape(rows: x.rowCount, labels: labels.count)
        let data = BinnedFeatures(x, maxBin: parameters.maxBin, minDataInBin: parameters.minDataInBin, sampleCount: parameters.binSampleCount, seed: parameters.seed,
                                  runner: ParallelRunner(threads: parameters.threads))
        return try train(data, names: x.names, labels: labels, validation: validation, progress: progress, evaluation: evaluation)
    }

    /// Boosting on rows binned already (`BinnedDataset`), whose settings must be the parameters'.
    func train(_ binned: BinnedDataset, labels: [Double], validation: (x: FeatureMatrix, labels: [Double])?,
               progress: (@Sendable (Int, Int) -> Void)?, evaluation: ConcurrentEvaluation?) throws -> (model: GBDTModel, trainingRaw: [Double]?) {
        try parameters.validate()
        try binned.check(against: parameters)
        guard binned.featureCount > 0 else { throw GBDTError.noFeatures }
        try Self.checkShape(rows: binned.rowCount, labels: labels.count)
        return try train(binned.features, names: binned.names, labels: labels, validation: validation, progress: progress,
                         evaluation: evaluation)
    }

    /// The fit's threads: `threads` (0 = all cores), fewer when the data is too small to share
    /// (`GBDTParameters.rootWorkPerThread`).
    static func runner(_ p: GBDTParameters, rows: Int, features: Int) -> ParallelRunner {
        let requested = ParallelRunner(threads: p.threads).threads
        guard p.rootWorkPerThread > 0 else { return ParallelRunner(threads: requested) }
        return ParallelRunner(threads: min(requested, 1 + rows * features / p.rootWorkPerThread))
    }

    private static func checkShape(rows n: Int, labels: Int) throws {
        guard n > 0 else { throw GBDTError.emptyTrainingSet }
        guard n < Int(Int32.max) else { throw GBDTError.tooManyRows(n) }
        guard labels == n else { throw GBDTError.labelCountMismatch(labels: labels, rows: n, set: "training") }
    }

    private func train(_ data: BinnedFeatures, names: [String], labels: [Double], validation: (x: FeatureMatrix, labels: [Double])?,
                       progress: (@Sendable (Int, Int) -> Void)?, evaluation: ConcurrentEvaluation?) throws -> (model: GBDTModel, trainingRaw: [Double]?) {
        let p = parameters
        let n = data.rowCount
        let objective = try objectiveKind.makeObjective(labels: labels)
        let baseScore = objective.initialScore()
        evaluation?.start(baseScore: baseScore)
        var watcher = try validation.map {
            try ValidationWatcher($0, features: names, objective: objective, baseScore: baseScore, parameters: p)
        }

        let runner = Self.runner(p, rows: n, features: data.splittableFeatures.count)
        let learner: TreeLearner = LeafWiseTreeLearner(data: data, parameters: p, runner: runner)
        let allFeatures = data.splittableFeatures
        var scores = [Double](repeating: baseScore, count: n)
        var gradients = [Double](repeating: 0, count: n)
        var hessians = [Double](repeating: 0, count: n)
        var scratch = [Double](repeating: 0, count: objective.renewsLeafOutputs ? n : 0)
        var bagRandom = SplitMix64(seed: p.seed, stream: 1)
        var featureRandom = SplitMix64(seed: p.seed, stream: 2)
        let bagging = p.baggingFraction < 1 && p.baggingFrequency > 0
        let bagSize = max(1, Int((p.baggingFraction * Double(n)).rounded()))
        var bag: [Int32]?
        var trees = [RegressionTree]()
        trees.reserveCapacity(p.trees)

        for round in 0..<p.trees {
            if bagging && round % p.baggingFrequency == 0 {
                bag = Sampling.sortedSubset(of: n, count: bagSize, using: &bagRandom)
            }
            let features = sampleFeatures(allFeatures, using: &featureRandom)
            scores.withUnsafeBufferPointer { s in
                gradients.withUnsafeMutableBufferPointer { g in
                    hessians.withUnsafeMutableBufferPointer { h in
                        runner.forEachChunk(count: n, minimumPerChunk: 16_384) { _, range in
                            objective.computeGradients(scores: s.baseAddress!, gradients: g.baseAddress!,
                                                       hessians: h.baseAddress!, range: range)
                        }
                    }
                }
            }
            let grown = gradients.withUnsafeBufferPointer { g in
                hessians.withUnsafeBufferPointer { h in
                    learner.grow(gradients: g.baseAddress!, hessians: h.baseAddress!,
                                 constantHessian: objective.constantHessian, bag: bag, features: features)
                }
            }
            // As LightGBM: a round that cannot split anything ends training.
            guard grown.leafCount > 1 else { break }
            let leafValues = leafOutputs(grown, learner: learner, objective: objective, scores: scores, scratch: &scratch,
                                         runner: runner)
            updateScores(&scores, grown: grown, leafValues: leafValues, learner: learner, bag: bag, data: data, runner: runner)
            let tree = RegressionTree(grown: grown, mappers: data.mappers, leafValues: leafValues)
            trees.append(tree)
            evaluation?.add(tree)
            let stop = watcher?.record(tree, runner: runner) ?? false
            progress?(round + 1, p.trees)
            if stop { break }
        }

        var bestIteration: Int?
        let grownTrees = trees.count
        if p.earlyStoppingRounds != nil, let best = watcher?.bestIteration {
            bestIteration = best
            trees.removeSubrange(best...)
        }
        let complete = trees.count == grownTrees
        return (try GBDTModel(featureNames: names, objective: objectiveKind, baseScore: baseScore,
                              trees: trees, bestIteration: bestIteration), complete ? scores : nil)
    }

    private func sampleFeatures(_ all: [Int32], using random: inout SplitMix64) -> [Int32] {
        guard parameters.featureFraction < 1, all.count > 1 else { return all }
        let k = max(1, Int((parameters.featureFraction * Double(all.count)).rounded()))
        return Sampling.sortedSubset(of: all.count, count: k, using: &random).map { all[Int($0)] }
    }

    /// Leaf values after the objective's refit (if any) and shrinkage. Leaves are refit in
    /// parallel, each in its own stretch of `scratch` (leaves hold disjoint rows).
    private func leafOutputs(_ grown: GrownTree, learner: TreeLearner, objective: any Objective, scores: [Double],
                             scratch: inout [Double], runner: ParallelRunner) -> [Double] {
        let rate = parameters.learningRate
        guard objective.renewsLeafOutputs else {
            return grown.leaves.map { SplitSearch.leafOutput($0, lambda: parameters.lambdaL2) * rate }
        }
        let leaves = grown.leafCount
        var start = [Int](repeating: 0, count: leaves + 1)
        for leaf in 0..<leaves { start[leaf + 1] = start[leaf] + learner.rows(ofLeaf: leaf).count }
        var values = [Double](repeating: 0, count: leaves)
        scores.withUnsafeBufferPointer { s in
            scratch.withUnsafeMutableBufferPointer { buffer in
                values.withUnsafeMutableBufferPointer { out in
                    runner.forEachJob(count: leaves, parallel: start[leaves] >= 16_384) { leaf in
                        out[leaf] = objective.renewedLeafOutput(rows: learner.rows(ofLeaf: leaf), scores: s.baseAddress!,
                                                                scratch: buffer.baseAddress! + start[leaf]) * rate
                    }
                }
            }
        }
        return values
    }

    /// Adds the new tree to the training scores: in-bag rows through the learner's leaf
    /// partition, out-of-bag rows by walking the tree on their bins.
    private func updateScores(_ scores: inout [Double], grown: GrownTree, leafValues: [Double], learner: TreeLearner,
                              bag: [Int32]?, data: BinnedFeatures, runner: ParallelRunner) {
        scores.withUnsafeMutableBufferPointer { s in
            // Leaves hold disjoint rows, so they can be updated in parallel.
            let base = s.baseAddress!
            runner.forEachJob(count: grown.leafCount, parallel: data.rowCount >= 65_536) { leaf in
                let value = leafValues[leaf]
                for row in learner.rows(ofLeaf: leaf) { base[Int(row)] += value }
            }
            guard let bag else { return }
            data.bins.withUnsafeBufferPointer { bins in
                var next = 0
                for row in 0..<data.rowCount {
                    if next < bag.count && Int(bag[next]) == row {
                        next += 1
                        continue
                    }
                    s[row] += leafValues[grown.leaf(ofRow: row, bins: bins.baseAddress!, rowCount: data.rowCount)]
                }
            }
        }
    }
}

/// Scores the validation set tree by tree and decides when boosting should stop.
private struct ValidationWatcher {
    let rows: [Double]
    let stride: Int
    let labels: [Double]
    let objective: any Objective
    let metric: any EvaluationMetric
    let patience: Int?
    var raw: [Double]
    var outputs: [Double]
    var bestValue: Double?
    var bestRound = 0
    var rounds = 0

    /// Trees in the best model so far; nil until the metric has had a value.
    var bestIteration: Int? { bestValue == nil ? nil : bestRound }

    init(_ validation: (x: FeatureMatrix, labels: [Double]), features: [String], objective: any Objective,
         baseScore: Double, parameters: GBDTParameters) throws {
        let x = validation.x
        guard validation.labels.count == x.rowCount else {
            throw GBDTError.labelCountMismatch(labels: validation.labels.count, rows: x.rowCount, set: "validation")
        }
        _ = try objective.kind.makeObjective(labels: validation.labels)
        let indices = try x.columnIndices(for: features)
        stride = features.count
        var rows = [Double](repeating: 0, count: x.rowCount * stride)
        for (f, column) in indices.enumerated() {
            for (r, value) in x.columns[column].enumerated() { rows[r * stride + f] = value }
        }
        self.rows = rows
        labels = validation.labels
        self.objective = objective
        metric = objective.defaultMetric
        patience = parameters.earlyStoppingRounds
        raw = [Double](repeating: baseScore, count: x.rowCount)
        outputs = raw.map(objective.transform)
    }

    /// Adds `tree`; returns true when the metric has not improved for `patience` rounds.
    mutating func record(_ tree: RegressionTree, runner: ParallelRunner) -> Bool {
        rounds += 1
        guard !labels.isEmpty else { return false }
        let ensemble = PackedEnsemble([tree])
        let stride = self.stride
        rows.withUnsafeBufferPointer { rows in
            raw.withUnsafeMutableBufferPointer { raw in
                runner.forEachChunk(count: raw.count, minimumPerChunk: 4096) { _, range in
                    ensemble.accumulate(rows: rows.baseAddress! + range.lowerBound * stride, stride: stride,
                                        count: range.count, into: raw.baseAddress! + range.lowerBound)
                }
            }
        }
        for i in raw.indices { outputs[i] = objective.transform(raw[i]) }
        let value = metric.evaluate(labels: labels, outputs: outputs)
        if bestValue.map({ metric.isBetter(value, than: $0) }) ?? !value.isNaN {
            bestValue = value
            bestRound = rounds
        }
        guard let patience, bestValue != nil else { return false }
        return rounds - bestRound >= patience
    }
}
