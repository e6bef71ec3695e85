import Foundation

/// NeuMF's forward and backward pass, on parameters shared by the training threads.
///
/// Per (user u, item i): GMF = p_u ⊙ q_i over `factors` dims; the MLP tower reads
/// [p′_u ; q′_i]; the logit is h · [GMF ; tower output] + b. Item vectors add the item's own
/// embedding, its category's and the mean of its title words' embeddings, in both parts. An
/// embedding row holds a user's (or item's, category's, word bucket's) GMF part then MLP part.
final class NeuMFKernel: PairwiseKernel, @unchecked Sendable {
    let userTable: EmbeddingTable
    let itemTable: EmbeddingTable
    let categoryTable: EmbeddingTable
    let wordTable: EmbeddingTable
    let dense: TrainableBuffer
    let features: ItemFeatures
    let factors: Int
    let mlpFactors: Int
    let tower: DenseNetworkShape
    private let kernels: DenseKernels
    /// Width of the output layer's input: GMF factors plus the tower's last width.
    let outputInputs: Int

    var itemGradientWidth: Int { factors + mlpFactors }
    var denseCount: Int { dense.count }

    init(users: Int, features: ItemFeatures, parameters: NeuMFParameters) throws {
        factors = parameters.factors
        mlpFactors = parameters.mlpFactors
        tower = try DenseNetworkShape(widths: parameters.layers, activations: Array(repeating: .relu, count: parameters.layers.count - 1))
        kernels = DenseKernels(shape: tower)
        outputInputs = factors + tower.outputWidth
        self.features = features
        let width = factors + mlpFactors
        var rng = SplitMix64(seed: parameters.seed, stream: 2)
        let sd = parameters.initialSD
        userTable = EmbeddingTable(rows: users, width: width, initial: EmbeddingTable.gaussian(rows: users, width: width, sd: sd, &rng))
        let items = features.itemCount
        itemTable = EmbeddingTable(rows: items, width: width, initial: EmbeddingTable.gaussian(rows: items, width: width, sd: sd, &rng))
        let categories = features.categories.count
        categoryTable = EmbeddingTable(rows: categories, width: width,
                                       initial: EmbeddingTable.gaussian(rows: categories, width: width, sd: sd, &rng))
        let buckets = features.wordBuckets
        wordTable = EmbeddingTable(rows: buckets, width: width, initial: EmbeddingTable.gaussian(rows: buckets, width: width, sd: sd, &rng))
        var initial = tower.initialParameters(&rng)
        // The output layer: Glorot-uniform weights (LeCun for a single output), zero bias.
        let limit = (3 / Double(outputInputs)).squareRoot()
        initial += (0..<outputInputs).map { _ in Float((2 * rng.nextUnit() - 1) * limit) } + [0]
        dense = TrainableBuffer(initial)
    }

    // Workspace layout, per shard.
    private var itemVectorOffset: Int { 0 }
    private var towerInputOffset: Int { factors + mlpFactors }
    private var activationOffset: Int { towerInputOffset + 2 * mlpFactors }
    private var outputInputOffset: Int { activationOffset + tower.activationCount }
    private var towerGradientOffset: Int { outputInputOffset + outputInputs }
    private var inputGradientOffset: Int { towerGradientOffset + tower.outputWidth }
    private var scratchOffset: Int { inputGradientOffset + 2 * mlpFactors }
    var workspaceSize: Int { scratchOffset + 2 * tower.maximumWidth }

    /// The item's GMF and MLP vectors: own embedding + category + mean of title words.
    @inline(__always)
    func itemVector(_ item: Int32, into q: UnsafeMutablePointer<Float>) {
        let width = factors + mlpFactors
        q.update(from: itemTable.row(item), count: width)
        let category = features.itemCategory[Int(item)]
        if category >= 0 { VectorKernels.add(categoryTable.row(category), into: q, count: width) }
        let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
        if end > start {
            let share = 1 / Float(end - start)
            for k in start..<end { VectorKernels.axpy(share, wordTable.row(features.words[k]), q, count: width) }
        }
    }

    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense gradients: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double {
        let width = factors + mlpFactors
        let theta = dense.values
        let outputWeights = theta + tower.parameterCount
        let outputGradients = gradients + tower.parameterCount
        let p = userTable.row(user)
        let q = workspace + itemVectorOffset
        let z0 = workspace + towerInputOffset
        let activations = workspace + activationOffset
        let v = workspace + outputInputOffset
        let towerGradient = workspace + towerGradientOffset
        let inputGradient = workspace + inputGradientOffset
        let scratch = workspace + scratchOffset
        let last = tower.activationCount - tower.outputWidth
        userGradient.update(repeating: 0, count: width)
        z0.update(from: p + factors, count: mlpFactors)
        var loss = 0.0
        for j in 0..<count {
            let label: Float = j == 0 ? 1 : 0
            itemVector(items[j], into: q)
            for d in 0..<factors { v[d] = p[d] * q[d] }
            (z0 + mlpFactors).update(from: q + factors, count: mlpFactors)
            kernels.forward(theta, input: z0, activations: activations)
            (v + factors).update(from: activations + last, count: tower.outputWidth)
            let logit = VectorKernels.dot(outputWeights, v, count: outputInputs) + outputWeights[outputInputs]
            loss += Logistic.loss(logit: logit, label: label)
            let delta = (Logistic.sigmoid(logit) - label) * lossScale
            VectorKernels.axpy(delta, v, outputGradients, count: outputInputs)
            outputGradients[outputInputs] += delta
            for d in 0..<tower.outputWidth { towerGradient[d] = delta * outputWeights[factors + d] }
            kernels.backward(theta, input: z0, activations: activations, outputGradient: towerGradient,
                             gradients: gradients, inputGradient: inputGradient, scratch: scratch)
            let itemGradient = itemGradients + j * width
            for d in 0..<factors {
                let g = delta * outputWeights[d]
                userGradient[d] += g * q[d]
                itemGradient[d] = g * p[d]
            }
            VectorKernels.add(inputGradient, into: userGradient + factors, count: mlpFactors)
            (itemGradient + factors).update(from: inputGradient + mlpFactors, count: mlpFactors)
        }
        return loss
    }

    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>) {
        itemTable.accumulate(item, gradient)
        let category = features.itemCategory[Int(item)]
        if category >= 0 { categoryTable.accumulate(category, gradient) }
        let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
        if end > start {
            let share = 1 / Float(end - start)
            for k in start..<end { wordTable.accumulate(features.words[k], gradient, scale: share) }
        }
    }

    func step(_ adam: AdamStep, dense gradients: UnsafePointer<Float>, l2: Float, runner: ParallelRunner) {
        adam.apply(dense, offset: 0, gradients: gradients, count: dense.count)
        for table in [userTable, itemTable, categoryTable, wordTable] { table.applyAdam(adam, decay: l2, runner: runner) }
    }
}
