import Dataset
import Foundation
import Logging
import ModelZoo
import Training
import Wire

/// A worker process: connects a DEALER socket to the coordinator, says HELLO, fetches the
/// shards its jobs need, trains on a separate thread, and returns results.
///
/// The I/O thread alone owns the socket. It heartbeats while a job trains, and reconnects with
/// a doubling backoff when the coordinator falls silent (the Guide's Paranoid Pirate).
public final class WorkerNode {
    /// Why `run()` returned.
    public enum Exit: Sendable, Equatable {
        case shutdown(String)
        case parentGone
    }

    private struct ActiveJob {
        var header: JobHeader
        var spec: TrainingJobSpec
        var fetch: ShardFetch?
        var training = false
    }

    private let options: WorkerOptions
    private let logger: Logger
    private let store: ShardStore
    private let outbox = Outbox()
    private let context: ZMQContext
    private var socket: ZMQSocket?
    private var liveness: Liveness
    private var backoff = ReconnectBackoff()
    private var job: ActiveJob?
    private var welcomed = false
    /// The last RESULT or FAILED sent, kept until a coordinator heartbeat no longer lists its job.
    private var unacknowledged: (jobID: String, envelope: Envelope, sentAt: ContinuousClock.Instant)?
    private let parentPID = getppid()
    public let counters = MessageCounters()

    public init(options: WorkerOptions, logger: Logger) throws {
        self.options = options
        self.logger = logger
        store = try ShardStore(directory: options.cacheDirectory)
        context = try ZMQContext()
        liveness = Liveness(heartbeatMs: options.heartbeatMs, liveness: options.liveness)
    }

    deinit {
        socket?.close()
        context.terminate()
    }

    public func run() throws -> Exit {
        try connect()
        while true {
            if options.exitWithParent, getppid() != parentPID {
                logger.warning("the process that started this worker is gone; exiting")
                return .parentGone
            }
            guard let socket else { try connect(); continue }
            if let frames = try socket.receive(timeoutMs: 20) {
                if let exit = try handle(frames) { return exit }
            }
            for envelope in outbox.drain() { try finish(envelope) }
            let now = ContinuousClock.now
            if liveness.isDead(now: now) {
                let wait = backoff.next()
                logger.warning("coordinator silent for \(liveness.liveness) heartbeats; reconnecting in \(wait) ms")
                Thread.sleep(forTimeInterval: Double(wait) / 1000)
                try connect()
            } else if liveness.heartbeatDue(now: now) {
                send(Envelope.make(.heartbeat, HeartbeatHeader(workerID: options.workerID, busyJobs: job.map { [$0.header.jobID] } ?? [])))
                liveness.sentHeartbeat(at: now)
            }
        }
    }

    private func connect() throws {
        socket?.close()
        let socket = try ZMQSocket(context: context, type: .dealer)
        try socket.setLinger(milliseconds: 0)
        try socket.setMaxMessageSize(1 << 30)
        // A fresh identity per connection: the coordinator treats a reconnect as a new worker.
        try socket.setIdentity(Data("\(options.workerID)-\(UInt32.random(in: 0...UInt32.max))".utf8))
        try socket.connect(options.endpoint)
        self.socket = socket
        welcomed = false
        liveness = Liveness(heartbeatMs: liveness.heartbeatMs, liveness: liveness.liveness)
        let hello = HelloHeader(workerID: options.workerID, host: ProcessInfo.processInfo.hostName, pid: getpid(),
                                cores: options.effectiveThreads, memoryBytes: ProcessInfo.processInfo.physicalMemory,
                                cachedShards: (try? store.ids()) ?? [], version: EngageVersion.current,
                                busyJobs: [job?.header.jobID, unacknowledged?.jobID].compactMap { $0 })
        send(Envelope.make(.hello, hello))
        liveness.sentHeartbeat(at: .now)
        logger.info("worker \(options.workerID) connecting to \(options.endpoint)")
    }

    private func handle(_ frames: [Data]) throws -> Exit? {
        let message: Envelope
        do {
            message = try Envelope.parse(frames)
        } catch {
            counters.countDropped(String(describing: error))
            logger.warning("dropped malformed message: \(error)")
            return nil
        }
        liveness.heard(at: .now)
        do {
            switch message.command {
            case .welcome:
                let welcome = try message.decodeHeader(WelcomeHeader.self)
                liveness = Liveness(heartbeatMs: welcome.heartbeatMs, liveness: welcome.liveness)
                backoff.reset()
                welcomed = true
                logger.info("welcomed by coordinator \(welcome.coordinatorID)")
                if let pending = unacknowledged {
                    logger.info("resending the outcome of \(pending.jobID) after reconnecting")
                    send(pending.envelope)
                    unacknowledged?.sentAt = .now
                }
            case .heartbeat:
                acknowledge(try message.decodeHeader(HeartbeatHeader.self))
            case .job:
                try accept(message)
            case .chunk:
                try chunk(try message.decodeHeader(ChunkHeader.self), bytes: message.payload ?? Data())
            case .cancel:
                let cancel = try message.decodeHeader(CancelHeader.self)
                if job?.header.jobID == cancel.jobID, job?.training == false { job = nil }
            case .bye:
                let bye = try message.decodeHeader(ByeHeader.self)
                if bye.reason == "reconnect" {
                    try connect()
                    return nil
                }
                logger.info("coordinator said BYE (\(bye.reason)); exiting")
                return .shutdown(bye.reason)
            default:
                counters.countDropped("unexpected \(message.command.rawValue) from coordinator")
            }
        } catch {
            counters.countDropped(String(describing: error))
            logger.warning("dropped \(message.command.rawValue) message: \(error)")
        }
        return nil
    }

    private func accept(_ message: Envelope) throws {
        let header = try message.decodeHeader(JobHeader.self)
        guard job == nil else {
            send(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "worker \(options.workerID) is busy")))
            return
        }
        unacknowledged = nil
        let spec: TrainingJobSpec
        do {
            spec = try JSONDecoder().decode(TrainingJobSpec.self, from: message.payload ?? Data())
        } catch {
            send(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "unreadable job spec: \(error)")))
            return
        }
        let needed = spec.allShards.map(\.id)
        var seen = Set<String>()
        let missing = needed.filter { !store.contains($0) && seen.insert($0).inserted }
        logger.info("job \(header.jobID) attempt \(header.attempt): \(needed.count) shards, \(missing.count) to fetch")
        job = ActiveJob(header: header, spec: spec, fetch: missing.isEmpty ? nil : ShardFetch(missing: missing, window: options.fetchWindow, chunkBytes: options.chunkBytes))
        if missing.isEmpty { startTraining() } else { requestChunks() }
    }

    private func requestChunks() {
        guard var fetch = job?.fetch else { return }
        for request in fetch.requests() { send(Envelope.make(.fetch, request)) }
        job?.fetch = fetch
    }

    private func chunk(_ header: ChunkHeader, bytes: Data) throws {
        guard var fetch = job?.fetch, let active = job else {
            counters.countDropped("chunk without a transfer")
            return
        }
        do {
            if let done = try fetch.receive(header, bytes: bytes) {
                try store.write(data: done.data, expectedID: done.id)
            }
        } catch {
            job = nil
            send(Envelope.make(.failed, FailedHeader(jobID: active.header.jobID, attempt: active.header.attempt, error: "shard transfer failed: \(error)")))
            return
        }
        job?.fetch = fetch
        if fetch.isComplete {
            job?.fetch = nil
            startTraining()
        } else {
            requestChunks()
        }
    }

    private func startTraining() {
        guard let active = job else { return }
        job?.training = true
        let store = self.store, outbox = self.outbox, threads = options.effectiveThreads, logger = self.logger
        let header = active.header, spec = active.spec
        let thread = Thread {
            let started = ContinuousClock.now
            do {
                func table(_ shards: [ShardRef]) throws -> Table? {
                    shards.isEmpty ? nil : try Table.concatenated(try shards.map { try store.read($0.id) })
                }
                let inputs = JobInputs(train: try Table.concatenated(try spec.trainShards.map { try store.read($0.id) }),
                                       eval: try table(spec.evalShards), scored: try table(spec.scoreShards),
                                       items: try table(spec.itemShards), stacking: try table(spec.stackingShards))
                let lastReported = Counter()
                let outcome = try JobRunner.run(spec: spec, threads: threads, inputs: inputs) { fraction in
                    let step = Int(fraction * 10)
                    if lastReported.advance(to: step) {
                        outbox.post(Envelope.make(.progress, ProgressHeader(jobID: header.jobID, attempt: header.attempt, fraction: fraction, message: "training")))
                    }
                }
                let report = try JSONEncoder().encode(outcome.report)
                let seconds = (ContinuousClock.now - started).seconds
                let payload = ResultPayload(artifact: outcome.artifact, predictions: outcome.evalPredictions + outcome.scoredPredictions).encode()
                outbox.post(Envelope.make(.result, ResultHeader(jobID: header.jobID, attempt: header.attempt, seconds: seconds, report: report), payload: payload))
            } catch {
                logger.error("job \(header.jobID) failed: \(error)")
                outbox.post(Envelope.make(.failed, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: String(describing: error))))
            }
        }
        thread.stackSize = 16 << 20
        thread.start()
    }

    /// Sends what a training thread produced and frees the worker for the next job.
    private func finish(_ envelope: Envelope) throws {
        if envelope.command == .result || envelope.command == .failed {
            job = nil
            let jobID = envelope.command == .result ? try envelope.decodeHeader(ResultHeader.self).jobID : try envelope.decodeHeader(FailedHeader.self).jobID
            unacknowledged = (jobID, envelope, .now)
        }
        send(envelope)
    }

    /// The coordinator's heartbeat lists the jobs it still waits for from us: a finished job
    /// missing from it was recorded; one still listed after `liveness` intervals is sent again.
    private func acknowledge(_ heartbeat: HeartbeatHeader) {
        guard let pending = unacknowledged else { return }
        if !heartbeat.busyJobs.contains(pending.jobID) {
            unacknowledged = nil
        } else if ContinuousClock.now - pending.sentAt > liveness.expiry {
            logger.warning("coordinator still waits for \(pending.jobID); sending its outcome again")
            send(pending.envelope)
            unacknowledged?.sentAt = .now
        }
    }

    private func send(_ envelope: Envelope) {
        guard let socket else { return }
        do {
            if try !socket.trySend(envelope.frames()) { logger.warning("send queue full; dropped \(envelope.command.rawValue)") }
        } catch {
            logger.warning("send failed: \(error)")
        }
    }
}

/// A monotone step counter shared with the training thread, so progress is sent once per step.
final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var value = -1

    func advance(to step: Int) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        guard step > value else { return false }
        value = step
        return true
    }
}
