import Foundation

/// NeuMF's forward and backward pass, on parameters shared by the training threads.
///
/// Per (user u, item i) the logit is Σ_d p_ud q_id (GMF with its output weights fixed at 1,
/// the matrix-factorisation case of He et al.) + h · MLP([p′_u ; q′_i]) + b + b_i. The item's
/// MLP vector and bias add its category's and the mean of its title words' rows to its own;
/// the GMF part is the item's own row only, a pure collaborative factorisation.
///
/// With pre-training, the GMF part is left out (`trainMLPAlone`) while the MLP part learns, and
/// the two are then combined (`combine`), as He et al. combine their pre-trained GMF and MLP.
/// Rows of users and items learn at `learningRate`; what many examples share (the tower, the
/// output layer, category and word rows) at `sharedLearningRate`.
final class NeuMFKernel: PairwiseKernel, @unchecked Sendable {
    let userTable: EmbeddingTable
    let itemTable: EmbeddingTable
    let categoryTable: EmbeddingTable
    let wordTable: EmbeddingTable
    /// The tower's parameters, then its output weights h, then the output bias b.
    let dense: TrainableBuffer
    let features: ItemFeatures
    let factors: Int
    let mlpFactors: Int
    let tower: DenseNetworkShape
    private let kernels: DenseKernels
    private let rowAdam: AdamSettings
    private let sharedAdam: AdamSettings
    /// Whether the GMF term is part of the logit (false while the MLP part trains alone).
    private(set) var gmfEnabled = true

    var itemGradientWidth: Int { factors + mlpFactors + 1 }
    var denseCount: Int { dense.count }
    var userWidth: Int { factors + mlpFactors }
    var sideWidth: Int { mlpFactors + 1 }

    init(users: Int, features: ItemFeatures, parameters: NeuMFParameters) throws {
        factors = parameters.factors
        mlpFactors = parameters.mlpFactors
        tower = try DenseNetworkShape(widths: parameters.layers, activations: Array(repeating: .relu, count: parameters.layers.count - 1))
        kernels = DenseKernels(shape: tower)
        rowAdam = AdamSettings(learningRate: parameters.learningRate)
        sharedAdam = AdamSettings(learningRate: parameters.sharedLearningRate)
        self.features = features
        var rng = SplitMix64(seed: parameters.seed, stream: 2)
        let sd = parameters.initialSD
        // The last column of item, category and word rows is a bias, starting at 0.
        func table(_ rows: Int, _ width: Int, bias: Bool) -> EmbeddingTable {
            var initial = EmbeddingTable.gaussian(rows: rows, width: width, sd: sd, &rng)
            if bias { for row in 0..<rows { initial[row * width + width - 1] = 0 } }
            return EmbeddingTable(rows: rows, width: width, initial: initial)
        }
        userTable = table(users, factors + mlpFactors, bias: false)
        itemTable = table(features.itemCount, factors + mlpFactors + 1, bias: true)
        categoryTable = table(features.categories.count, mlpFactors + 1, bias: true)
        wordTable = table(features.wordBuckets, mlpFactors + 1, bias: true)
        let shape = tower, limit = (3 / Double(shape.outputWidth)).squareRoot()
        var output = (0..<shape.outputWidth).map { _ in Float((2 * rng.nextUnit() - 1) * limit) }
        output.append(0)
        dense = TrainableBuffer(shape.initialParameters(&rng) + output)
    }

    /// Leaves the GMF term out of the logit and its rows without gradient, so that the MLP part
    /// (tower, MLP rows, side features, biases) learns alone.
    func trainMLPAlone() {
        gmfEnabled = false
    }

    /// Makes the model α · `mf` + (1 − α) · the MLP part trained alone: the GMF rows become the
    /// factorisation's (users' scaled by α), the tower's output weights and every bias are mixed.
    func combine(with mf: MatrixFactorizationModel, alpha: Float) {
        precondition(mf.factors == factors, "combining needs \(factors) factors, the MF model has \(mf.factors)")
        let beta = 1 - alpha
        for user in 0..<userTable.rows {
            let row = userTable.row(Int32(user))
            for d in 0..<factors { row[d] = alpha * mf.userFactors[user * factors + d] }
        }
        let biasColumn = factors + mlpFactors
        for item in 0..<itemTable.rows {
            let row = itemTable.row(Int32(item)), source = item * (factors + 1)
            for d in 0..<factors { row[d] = mf.itemFactors[source + d] }
            row[biasColumn] = beta * row[biasColumn] + alpha * mf.itemFactors[source + factors]
        }
        for table in [categoryTable, wordTable] {
            for index in 0..<table.rows { table.row(Int32(index))[mlpFactors] *= beta }
        }
        let h = dense.values + tower.parameterCount
        for d in 0..<tower.outputWidth { h[d] *= beta }
        h[tower.outputWidth] = beta * h[tower.outputWidth] + alpha * mf.bias
        gmfEnabled = true
    }

    // Workspace layout, per shard.
    private var towerInputOffset: Int { factors + mlpFactors + 1 }
    private var activationOffset: Int { towerInputOffset + 2 * mlpFactors }
    private var towerGradientOffset: Int { activationOffset + tower.activationCount }
    private var inputGradientOffset: Int { towerGradientOffset + tower.outputWidth }
    private var scratchOffset: Int { inputGradientOffset + 2 * mlpFactors }
    var workspaceSize: Int { scratchOffset + 2 * tower.maximumWidth }

    /// The item's GMF vector (its own row), and its MLP vector and bias: own row + category +
    /// mean of title words.
    @inline(__always)
    func itemVector(_ item: Int32, into q: UnsafeMutablePointer<Float>) {
        VectorKernels.copy(itemTable.row(item), into: q, count: factors + mlpFactors + 1)
        let side = q + factors
        let category = features.itemCategory[Int(item)]
        if category >= 0 { VectorKernels.add(categoryTable.row(category), into: side, count: sideWidth) }
        let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
        if end > start {
            let share = 1 / Float(end - start)
            for k in start..<end { VectorKernels.axpy(share, wordTable.row(features.words[k]), side, count: sideWidth) }
        }
    }

    func trainGroup(user: Int32, items: UnsafePointer<Int32>, count: Int, lossScale: Float,
                    dense gradients: UnsafeMutablePointer<Float>, userGradient: UnsafeMutablePointer<Float>,
                    itemGradients: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>) -> Double {
        let theta = dense.values
        let h = theta + tower.parameterCount, bias = h[tower.outputWidth]
        let outputGradients = gradients + tower.parameterCount
        let p = userTable.row(user)
        let q = workspace
        let z0 = workspace + towerInputOffset
        let activations = workspace + activationOffset
        let towerGradient = workspace + towerGradientOffset
        let inputGradient = workspace + inputGradientOffset
        let scratch = workspace + scratchOffset
        let towerOutput = activations + (tower.activationCount - tower.outputWidth)
        VectorKernels.zero(userGradient, count: userWidth)
        VectorKernels.copy(p + factors, into: z0, count: mlpFactors)
        var loss = 0.0
        for j in 0..<count {
            let label: Float = j == 0 ? 1 : 0
            itemVector(items[j], into: q)
            VectorKernels.copy(q + factors, into: z0 + mlpFactors, count: mlpFactors)
            kernels.forward(theta, input: z0, activations: activations)
            let gmf = gmfEnabled ? VectorKernels.dot(p, q, count: factors) : 0
            let logit = gmf + VectorKernels.dot(h, towerOutput, count: tower.outputWidth) + bias + q[factors + mlpFactors]
            loss += Logistic.loss(logit: logit, label: label)
            let delta = (Logistic.sigmoid(logit) - label) * lossScale
            VectorKernels.axpy(delta, towerOutput, outputGradients, count: tower.outputWidth)
            outputGradients[tower.outputWidth] += delta
            for d in 0..<tower.outputWidth { towerGradient[d] = delta * h[d] }
            kernels.backward(theta, input: z0, activations: activations, outputGradient: towerGradient,
                             gradients: gradients, inputGradient: inputGradient, scratch: scratch)
            let itemGradient = itemGradients + j * itemGradientWidth
            if !gmfEnabled {
                VectorKernels.zero(itemGradient, count: factors)
            } else {
                VectorKernels.axpy(delta, q, userGradient, count: factors)
                for d in 0..<factors { itemGradient[d] = delta * p[d] }
            }
            VectorKernels.add(inputGradient, into: userGradient + factors, count: mlpFactors)
            VectorKernels.copy(inputGradient + mlpFactors, into: itemGradient + factors, count: mlpFactors)
            itemGradient[factors + mlpFactors] = delta
        }
        return loss
    }

    func scatterItemGradient(_ item: Int32, _ gradient: UnsafePointer<Float>) {
        itemTable.accumulate(item, gradient)
    }

    func step(_ t: Int, dense gradients: UnsafePointer<Float>, l2: Float, runner: ParallelRunner) {
        // An item's MLP vector and bias are a sum of rows, so each category and word row's
        // gradient is the sum of its items': passed on once per touched item and step.
        for item in itemTable.touched {
            let gradient = itemTable.pendingGradient(item) + factors
            let category = features.itemCategory[Int(item)]
            if category >= 0 { categoryTable.accumulate(category, gradient) }
            let start = Int(features.wordStart[Int(item)]), end = Int(features.wordStart[Int(item) + 1])
            if end > start {
                let share = 1 / Float(end - start)
                for k in start..<end { wordTable.accumulate(features.words[k], gradient, scale: share) }
            }
        }
        let rows = rowAdam.step(t), shared = sharedAdam.step(t)
        shared.apply(dense, offset: 0, gradients: gradients, count: dense.count)
        categoryTable.applyAdam(shared, decay: l2, runner: runner)
        wordTable.applyAdam(shared, decay: l2, runner: runner)
        userTable.applyAdam(rows, decay: l2, runner: runner)
        itemTable.applyAdam(rows, decay: l2, runner: runner)
    }
}
