import Foundation

/// NeuMF's forward and backward pass, on parameters shared by the training threads.
///
/// Per (user u, item i): GMF = p_u ⊙ q_i over `factors` dims; the MLP tower reads
/// [p′_u ; q′_i]; the logit is h · [GMF ; tower output] + b + b_i. Item vectors add the item's
/// own embedding, its category's and the mean of its title words' embeddings, in every part.
/// A user row holds the GMF part then the MLP part; an item-side row (item, category, word
/// bucket) holds the same and then a bias, so popularity need not be squeezed into the factors.
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

    var itemGradientWidth: Int { factors + mlpFactors + 1 }
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
        func itemSide(_ rows: Int) -> EmbeddingTable {
            var initial = EmbeddingTable.gaussian(rows: rows, width: width + 1, sd: sd, &rng)
            for row in 0..<rows { initial[row * (width + 1) + width] = 0 }
            return EmbeddingTable(rows: rows, width: width + 1, initial: initial)
        }
        itemTable = itemSide(features.itemCount)
        categoryTable = itemSide(features.categories.count)
        wordTable = itemSide(features.wordBuckets)
        var initial = tower.initialParameters(&rng)
        // The output layer: 1 on the GMF factors, so that GMF starts as a dot product (matrix
        // factorisation) instead of being damped by small random weights; LeCun-uniform on the
        // tower's outputs; zero bias.
        let limit = (3 / Double(tower.outputWidth)).squareRoot()
        initial += Array(repeating: Float(ProcessInfo.processInfo.environment["HONE"] != nil ? 1 : Float((2 * rng.nextUnit() - 1) * limit)), count: factors)
        initial += (0..<tower.outputWidth).map { _ in ProcessInfo.processInfo.environment["TZERO"] != nil ? 0 : Float((2 * rng.nextUnit() - 1) * limit) } + [0]
        dense = TrainableBuffer(initial)
    }

    // Workspace layout, per shard.
    private var itemVectorOffset: Int { 0 }
    private var towerInputOffset: Int { factors + mlpFactors + 1 }
    private var activationOffset: Int { towerInputOffset + 2 * mlpFactors }
    private var outputInputOffset: Int { activationOffset + tower.activationCount }
    private var towerGradientOffset: Int { outputInputOffset + outputInputs }
    private var inputGradientOffset: Int { towerGradientOffset + tower.outputWidth }
    private var scratchOffset: Int { inputGradientOffset + 2 * mlpFactors }
    var workspaceSize: Int { scratchOffset + 2 * tower.maximumWidth }

    /// The item's GMF and MLP vectors and bias: own row + category + mean of title words.
    @inline(__always)
    func itemVector(_ item: Int32, into q: UnsafeMutablePointer<Float>) {
        let width = factors + mlpFactors + 1
        VectorKernels.copy(itemTable.row(item), into: q, count: width)
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
        VectorKernels.zero(userGradient, count: width)
        VectorKernels.copy(p + factors, into: z0, count: mlpFactors)
        var loss = 0.0
        for j in 0..<count {
            let label: Float = j == 0 ? 1 : 0
            itemVector(items[j], into: q)
            for d in 0..<factors { v[d] = p[d] * q[d] }
            VectorKernels.copy(q + factors, into: z0 + mlpFactors, count: mlpFactors)
            kernels.forward(theta, input: z0, activations: activations)
            VectorKernels.copy(activations + last, into: v + factors, count: tower.outputWidth)
            let logit = VectorKernels.dot(outputWeights, v, count: outputInputs) + outputWeights[outputInputs] + q[width]
            loss += Logistic.loss(logit: logit, label: label)
            let delta = (Logistic.sigmoid(logit) - label) * lossScale
            VectorKernels.axpy(delta, v, outputGradients, count: outputInputs)
            outputGradients[outputInputs] += delta
            for d in 0..<tower.outputWidth { towerGradient[d] = delta * outputWeights[factors + d] }
            kernels.backward(theta, input: z0, activations: activations, outputGradient: towerGradient,
                             gradients: gradients, inputGradient: inputGradient, scratch: scratch)
            let itemGradient = itemGradients + j * (width + 1)
            itemGradient[width] = delta
            for d in 0..<factors {
                let g = delta * outputWeights[d]
                userGradient[d] += g * q[d]
                itemGradient[d] = g * p[d]
            }
            VectorKernels.add(inputGradient, into: userGradient + factors, count: mlpFactors)
            VectorKernels.copy(inputGradient + mlpFactors, into: itemGradient + factors, count: mlpFactors)
        }
        return loss
    }

    static let denseScale: Float? = ProcessInfo.processInfo.environment["DENSELR"].flatMap(Float.init)

    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>) {
        itemTable.accumulate(item, gradient)
    }

    func step(_ adam: AdamStep, dense gradients: UnsafePointer<Float>, l2: Float, runner: ParallelRunner) {
        // An item vector is a sum of rows, so each row's gradient is the sum of its items'
        // gradients: passed on once per touched item and step, not once per example.
        for item in itemTable.touched {
            let gradient = itemTable.pendingGradient(item)
            let category = features.itemCategory[Int(item)]
            if category >= 0 { categoryTable.accumulate(category, gradient) }
            let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
            if end > start {
                let share = 1 / Float(end - start)
                for k in start..<end { wordTable.accumulate(features.words[k], gradient, scale: share) }
            }
        }
        let env = ProcessInfo.processInfo.environment
        let sh = Float(env["SH"] ?? "1")!, st = Float(env["ST"] ?? "1")!
        var towerStep = adam
        towerStep.stepSize *= st
        var gmfStep = adam
        gmfStep.stepSize *= sh
        towerStep.apply(dense, offset: 0, gradients: gradients, count: tower.parameterCount)
        gmfStep.apply(dense, offset: tower.parameterCount, gradients: gradients + tower.parameterCount, count: factors)
        towerStep.apply(dense, offset: tower.parameterCount + factors, gradients: gradients + tower.parameterCount + factors,
                        count: dense.count - tower.parameterCount - factors)
        var featureStep = adam
        featureStep.stepSize *= Float(env["SF"] ?? "1")!
        categoryTable.applyAdam(featureStep, decay: l2, runner: runner)
        wordTable.applyAdam(featureStep, decay: l2, runner: runner)
        for table in [userTable, itemTable] { table.applyAdam(adam, decay: l2, runner: runner) }
    }
}
