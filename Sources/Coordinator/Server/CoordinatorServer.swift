import Dataset
import Foundation
import Logging
import ModelZoo
import Registry
import Training
import Wire

/// What the coordinator does with a finished job's result (register it, journal it).
public protocol ResultSink: AnyObject {
    /// Called once per job, for its first accepted result. Throwing fails the job's attempt.
    func accept(job: PlannedJob, attempt: Int, worker: String, report: JobReport, result: ResultPayload) throws -> String
    /// Called for every change of a job's state, for the run journal.
    func jobChanged(job: PlannedJob, status: JobStatus, attempt: Int, worker: String?, error: String?)
    /// Completes a job whose inputs depend on earlier results (the ensemble's base-prediction
    /// table), just before it is first handed out. Throwing fails the job.
    func materialize(_ job: PlannedJob) throws -> PlannedJob
}

extension ResultSink {
    public func materialize(_ job: PlannedJob) throws -> PlannedJob { job }
}

/// The outcome of serving one run's job graph.
public struct ServeOutcome: Sendable {
    public var completed: [String: String]
    public var failure: String?
    public var droppedMessages: Int
    public var workersLost: Int
    /// CURVE handshakes the ZAP handler refused (keys not in `allowed/`); 0 without CURVE.
    public var refusedHandshakes = 0
    /// Backup copies started for straggling jobs (extra work; the first result of a copy wins).
    public var backupTasks = 0
    /// Each worker's peak RSS in bytes, the largest it reported (HEARTBEAT, RESULT), by worker name.
    public var workerPeakRSS: [String: UInt64] = [:]
    /// Malformed `peakRSSBytes` values dropped (their messages were still handled).
    public var droppedPeakRSSValues = 0
}

/// The coordinator's event loop: one thread owns the ROUTER transport, admits workers, hands out
/// jobs, serves shard chunks, watches heartbeats and collects results.
///
/// Training never happens here; the only slow thing the loop does is register a result
/// (an fsync and one SQLite transaction). ``step(sink:timeoutMs:)`` is one round of the loop,
/// so tests drive it over an ``InMemoryHub`` with a ``ManualClock``.
public final class CoordinatorServer {
    public struct Settings: Sendable {
        public var endpoint: String
        public var heartbeatMs: Int
        public var liveness: Int
        public init(endpoint: String, heartbeatMs: Int, liveness: Int) {
            self.endpoint = endpoint
            self.heartbeatMs = heartbeatMs
            self.liveness = liveness
        }
    }

    private let settings: Settings
    private let transport: any MessageTransport
    private let clock: any MonotonicClock
    private let store: ShardStore
    private let runID: String
    private let logger: Logger
    private let gate: ClientKeyGate?
    private var refusalDigest = RefusalDigest()
    private var workers = WorkerTable()
    private var book: JobBook
    private var lastHeartbeat: ContinuousClock.Instant
    /// Messages that arrived while a slow sink call ran (``keepingWorkersAlive(_:)``), handled next.
    private var deferred: [[Data]] = []
    private var completed: [String: String] = [:]
    private var workersLost = 0
    /// The largest peak RSS each worker reported, by worker name; kept after the worker leaves.
    public private(set) var workerPeakRSS: [String: UInt64] = [:]
    public let counters = MessageCounters()
    /// When a running job gets a backup copy on an idle worker.
    public var stragglers = StragglerWatch()
    /// Where worker and progress events go (job events come from ``EventingResultSink``).
    public var events: RunEventHub?
    /// Shard bytes sent in CHUNK messages.
    public private(set) var chunkBytesSent = 0
    /// CURVE handshakes refused so far; 0 without CURVE.
    public var refusedHandshakes: Int { gate?.refused ?? 0 }
    /// The endpoint actually bound (resolves a `:*` port).
    public private(set) var boundEndpoint: String
    /// Where the timeline's seconds count from (the run's start).
    public var timelineOrigin: ContinuousClock.Instant
    /// Every job attempt that returned a result, from dispatch to registration.
    public private(set) var timeline: [RunTimeline.Job] = []
    /// When each attempt in flight was sent, by job id and attempt.
    private var dispatchedAt: [String: ContinuousClock.Instant] = [:]

    /// Serves over `transport`, a ROUTER end whose messages carry the peer id first; with `gate`,
    /// the CURVE server whose allow-list the loop reloads and whose refusals it logs.
    public init(settings: Settings, jobs: JobBook, store: ShardStore, runID: String, logger: Logger,
                transport: any MessageTransport, clock: any MonotonicClock = SystemClock(), gate: ClientKeyGate? = nil) {
        self.gate = gate
        self.settings = settings
        self.book = jobs
        self.store = store
        self.runID = runID
        self.logger = logger
        self.transport = transport
        self.clock = clock
        lastHeartbeat = clock.now
        timelineOrigin = clock.now
        boundEndpoint = settings.endpoint
    }

    /// Serves on a ZeroMQ ROUTER bound to `settings.endpoint`; with `curveKeys`, a CURVE server
    /// admitting only the workers whose public keys are in its `allowed/` folder.
    public convenience init(settings: Settings, jobs: JobBook, store: ShardStore, runID: String, logger: Logger,
                            curveKeys: CurveKeyDirectory? = nil) throws {
        let gate = try curveKeys.map { try ClientKeyGate(keys: $0) }
        let router = try ZMQTransport.router(binding: settings.endpoint, context: gate?.context ?? ZMQContext(), curveSecretKey: gate?.serverSecretKey)
        if let gate { logger.info("CURVE on: admitting the \(gate.allowedNames.count) key(s) in \(gate.directory.allowedDirectory): \(gate.allowedNames.joined(separator: ", "))") }
        self.init(settings: settings, jobs: jobs, store: store, runID: runID, logger: logger, transport: router, gate: gate)
        boundEndpoint = router.lastEndpoint ?? settings.endpoint
    }

    deinit {
        transport.close()
        gate?.stop()
    }

    /// Serves until every job is done, one has failed `maxAttempts` times, or `watchdog` names a reason to stop.
    public func serve(sink: ResultSink, watchdog: () -> String? = { nil }) throws -> ServeOutcome {
        logger.info("coordinator listening on \(boundEndpoint), \(book.jobs.count) jobs")
        while !book.isFinished {
            if let reason = watchdog() {
                return outcome(failure: "\(reason); \(book.jobs.count - book.doneCount) jobs unfinished")
            }
            try step(sink: sink, timeoutMs: Int32(min(100, settings.heartbeatMs)))
        }
        logger.info("\(MessageCounters.logPrefix)\(counters.json)")
        return outcome(failure: book.firstFailure.map { $0.error })
    }

    /// One round of the loop: handles at most one message (waiting up to `timeoutMs` for it),
    /// heartbeats and buries workers as the clock says, and hands out jobs to idle workers.
    public func step(sink: ResultSink, timeoutMs: Int32 = 0) throws {
        let frames = deferred.isEmpty ? try transport.receive(timeoutMs: timeoutMs) : deferred.removeFirst()
        // Workers are judged at the time of this poll, not after the handling of what it returned.
        let polled = clock.now
        if let frames { handle(frames, sink: sink) }
        tick(sink: sink, polled: polled)
        dispatch(sink: sink)
        events?.tick()
    }

    /// True once every job is done or one has failed for good.
    public var isFinished: Bool { book.isFinished }

    /// Tells every worker to stop (after a run) and waits briefly so the messages leave.
    /// With `keepingAllBut`, only the workers of this host with those pids (the run's own local
    /// workers) stop; the others are told to wait for the next run (``ByeHeader/nextRunReason``).
    public func shutdownWorkers(reason: String = "shutdown", keepingAllBut localPIDs: Set<Int32>? = nil) {
        let host = ProcessInfo.processInfo.hostName
        for worker in workers.all {
            let stays = localPIDs.map { !(worker.hello.host == host && $0.contains(worker.hello.pid)) } ?? false
            send(worker.peer, Envelope.make(.bye, ByeHeader(reason: stays ? ByeHeader.nextRunReason : reason)))
        }
        Thread.sleep(forTimeInterval: 0.2)
    }

    private func outcome(failure: String?) -> ServeOutcome {
        ServeOutcome(completed: completed, failure: failure, droppedMessages: counters.dropped, workersLost: workersLost,
                     refusedHandshakes: gate?.refused ?? 0, backupTasks: book.backupsStarted, workerPeakRSS: workerPeakRSS,
                     droppedPeakRSSValues: counters.droppedValuesByField[ReportedPeakRSS.field] ?? 0)
    }

    // MARK: messages

    private func handle(_ frames: [Data], sink: ResultSink) {
        let routed: RoutedEnvelope
        do {
            routed = try RoutedEnvelope.parse(frames)
        } catch {
            counters.drop(error, what: "malformed message") { logger.warning("\($0)") }
            return
        }
        do {
            try handle(routed, sink: sink)
            counters.countReceived()
        } catch {
            counters.drop(error, what: "\(routed.envelope.command.rawValue) message") { logger.warning("\($0)") }
        }
    }

    private func handle(_ routed: RoutedEnvelope, sink: ResultSink) throws {
        let peer = routed.peer, message = routed.envelope
        do {
            if message.command == .hello {
                try hello(peer, try message.decodeHeader(HelloHeader.self), sink: sink)
                return
            }
            guard workers[peer] != nil else {
                // A worker we do not know (we restarted, or it was declared dead): ask it to say HELLO again.
                send(peer, Envelope.make(.bye, ByeHeader(reason: "reconnect")))
                return
            }
            workers[peer]?.liveness.heard(at: clock.now)
            switch message.command {
            case .heartbeat:
                // Only the optional peak RSS is read: a heartbeat is proof of life whatever else its header holds.
                if let heartbeat = try? message.decodeHeader(HeartbeatHeader.self) { note(heartbeat.peakRSS, from: peer) }
            case .fetch: try fetch(peer, try message.decodeHeader(FetchHeader.self))
            case .progress:
                let progress = try message.decodeHeader(ProgressHeader.self)
                logger.debug("\(progress.jobID) \(Int(progress.fraction * 100))% \(progress.message)")
                if let worker = workers[peer], let job = book.job(progress.jobID) {
                    events?.emit(.jobProgress(job.id, model: job.spec.model, attempt: progress.attempt, worker: worker.name, fraction: progress.fraction))
                }
            case .result: try result(peer, message, sink: sink)
            case .failed: failed(peer, try message.decodeHeader(FailedHeader.self), sink: sink)
            case .bye: lose(peer, reason: "said BYE", sink: sink)
            default:
                throw DroppedMessage("unexpected \(message.command.rawValue) from worker")
            }
        }
    }

    private func hello(_ peer: Data, _ hello: HelloHeader, sink: ResultSink) throws {
        let key = transport.lastSenderKey
        if let gate, let key, !gate.admits(key) {
            logger.warning("worker \(hello.workerID)@\(hello.host) said HELLO with key \(gate.describe(key)), no longer in allowed/: told to leave")
            send(peer, Envelope.make(.bye, ByeHeader(reason: Self.revokedReason)))
            return
        }
        if workers[peer] != nil { lose(peer, reason: "said HELLO again", sink: sink) }
        // A worker that reconnects under a new identity keeps the job it is still training.
        let busy = (hello.busyJobs ?? []).first { book.isRunning($0, on: "\(hello.workerID)@\(hello.host)") }
        for old in workers.all where old.hello.workerID == hello.workerID && old.hello.host == hello.host && old.peer != peer {
            logger.info("worker \(hello.workerID) reconnected; its old connection is dropped")
            if busy == nil { lose(old.peer, reason: "reconnected", sink: sink) } else { _ = workers.remove(old.peer) }
        }
        let liveness = Liveness(heartbeatMs: settings.heartbeatMs, liveness: settings.liveness, now: clock.now)
        workers.add(peer: peer, hello: hello, liveness: liveness)
        workers[peer]?.key = key
        if let busy {
            workers[peer]?.runningJob = busy
            logger.info("worker \(hello.workerID) is still running \(busy)")
        } else if let stale = hello.busyJobs?.first {
            // Busy with a job this run no longer expects from it: wait for that result before sending more.
            workers[peer]?.runningJob = stale
        }
        events?.emit(.workerJoined("\(hello.workerID)@\(hello.host)", host: hello.host, threads: hello.cores))
        logger.info("worker \(hello.workerID) joined from \(hello.host) (pid \(hello.pid), \(hello.cores) cores, \(hello.cachedShards.count) cached shards)")
        send(peer, Envelope.make(.welcome, WelcomeHeader(coordinatorID: runID, heartbeatMs: settings.heartbeatMs, liveness: settings.liveness)))
    }

    private func fetch(_ peer: Data, _ request: FetchHeader) throws {
        guard store.contains(request.shardID) else {
            throw DroppedMessage("fetch of unknown shard")
        }
        let total = try store.size(of: request.shardID)
        guard request.offset >= 0, request.offset <= total, request.size > 0 else {
            throw DroppedMessage("fetch out of range")
        }
        let count = min(request.size, ProtocolLimits.chunkBytes, total - request.offset)
        let bytes = try store.readBytes(request.shardID, offset: request.offset, count: count)
        let header = ChunkHeader(shardID: request.shardID, offset: request.offset, totalSize: total, last: request.offset + count >= total)
        send(peer, Envelope.make(.chunk, header, payload: bytes))
        chunkBytesSent += bytes.count
        if header.last { workers[peer]?.cachedShards.insert(request.shardID) }
    }

    private func result(_ peer: Data, _ message: Envelope, sink: ResultSink) throws {
        let header = try message.decodeHeader(ResultHeader.self)
        guard let worker = workers[peer], let job = book.job(header.jobID) else {
            throw DroppedMessage("result for unknown job")
        }
        note(header.peakRSS, from: peer)
        if worker.runningJob == header.jobID { workers[peer]?.runningJob = nil }
        guard let reportData = header.report, let report = try? EngageJSONDecoder().decode(JobReport.self, from: reportData) else {
            failed(peer, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "result without a readable report"), sink: sink)
            return
        }
        switch book.states[job.id] {
        case .done?, .failed?, nil:
            logger.info("ignored duplicate result for \(job.id) attempt \(header.attempt) from \(worker.name)")
            return
        case .pending?, .running?:
            break
        }
        let received = clock.now
        // The worker is free: its next job goes out before this result is registered, so that it
        // trains while the coordinator writes the registry instead of waiting for it.
        dispatch(sink: sink)
        do {
            let payload = try ResultPayload.decode(message.payload ?? Data())
            let (label, registerCPU) = try keepingWorkersAlive {
                let cpu = CPUTime.threadSeconds()
                let label = try sink.accept(job: job, attempt: header.attempt, worker: worker.name, report: report, result: payload)
                return (label, CPUTime.threadSeconds() - cpu)
            }
            timeline.append(RunTimeline.Job(job: job.id, worker: worker.name, attempt: header.attempt,
                                            dispatched: offset(dispatchedAt.removeValue(forKey: "\(job.id)#\(header.attempt)") ?? received),
                                            received: offset(received), registered: offset(clock.now), workerSeconds: header.seconds,
                                            workerCPUSeconds: header.cpuSeconds, inputSeconds: header.inputSeconds,
                                            registerCPUSeconds: registerCPU))
            let otherCopy = book.backups[job.id].map { $0.attempt == header.attempt ? primaryWorker(of: job.id) : $0.worker } ?? nil
            _ = book.complete(job.id, attempt: header.attempt, worker: worker.name)
            stragglers.finished(job, at: clock.now)
            if let otherCopy { logger.info("\(job.id): attempt \(header.attempt) on \(worker.name) won; the copy on \(otherCopy) runs on and its result will be ignored") }
            completed[job.id] = label
            sink.jobChanged(job: job, status: .done, attempt: header.attempt, worker: worker.name, error: nil)
            logger.info("\(job.id) done by \(worker.name) in \(String(format: "%.1f", header.seconds)) s → \(label)")
            if job.spec.binnedShard != nil, report.sharedBins != true {
                logger.warning("\(job.id) binned its own rows: the run's shared bins did not fit its schema or training shards")
            }
        } catch {
            failed(peer, FailedHeader(jobID: header.jobID, attempt: header.attempt, error: "could not register the result: \(error)"), sink: sink)
        }
    }

    private func offset(_ instant: ContinuousClock.Instant) -> Double {
        timelineOrigin.duration(to: instant).seconds
    }

    /// Keeps the largest peak RSS a worker reported; a malformed value is counted and dropped.
    private func note(_ reported: ReportedPeakRSS, from peer: Data) {
        guard let name = workers[peer]?.name else { return }
        if reported.malformed {
            counters.countDroppedValue(ReportedPeakRSS.field)
            return
        }
        guard let bytes = reported.bytes else { return }
        workerPeakRSS[name] = max(workerPeakRSS[name] ?? 0, bytes)
    }

    private func failed(_ peer: Data, _ failure: FailedHeader, sink: ResultSink) {
        if workers[peer]?.runningJob == failure.jobID { workers[peer]?.runningJob = nil }
        guard let job = book.job(failure.jobID) else { return }
        logger.warning("\(job.id) attempt \(failure.attempt) failed on \(workers[peer]?.name ?? "?"): \(failure.error)")
        requeue(job, attempt: failure.attempt, error: failure.error, worker: workers[peer]?.name, sink: sink)
    }

    private func requeue(_ job: PlannedJob, attempt: Int, error: String, worker: String?, sink: ResultSink) {
        switch book.requeue(job.id, attempt: attempt, error: error) {
        case .retried(let next):
            sink.jobChanged(job: job, status: .retrying, attempt: next, worker: worker, error: error)
        case .gaveUp(let message):
            sink.jobChanged(job: job, status: .failed, attempt: attempt, worker: worker, error: message)
        case .continuesOnBackup(let backupWorker, let backupAttempt):
            logger.info("\(job.id) continues as attempt \(backupAttempt), its backup copy on \(backupWorker)")
            sink.jobChanged(job: job, status: .running, attempt: backupAttempt, worker: backupWorker, error: nil)
        case .backupDropped:
            logger.info("\(job.id): backup attempt \(attempt) dropped; the primary copy runs on")
        case nil:
            break
        }
    }

    // MARK: liveness and dispatch

    private func heartbeatIfDue(now: ContinuousClock.Instant) {
        guard now - lastHeartbeat >= .milliseconds(settings.heartbeatMs) else { return }
        lastHeartbeat = now
        for worker in workers.all {
            // busyJobs is the implicit acknowledgement: a result the worker sent is recorded once its job leaves this list.
            send(worker.peer, Envelope.make(.heartbeat, HeartbeatHeader(workerID: worker.hello.workerID, busyJobs: worker.runningJob.map { [$0] } ?? [])))
        }
    }

    /// Runs a sink call that can take long (registering a result at a million rows: the artifact's
    /// fsync, the reference profile over every training row, one SQLite transaction; or building
    /// the ensemble's table) on a thread of its own, while this thread goes on heartbeating and
    /// hears the workers. Without it the loop fell silent for longer than `liveness` heartbeats:
    /// the workers reconnected and the coordinator declared them dead and requeued their jobs.
    /// Messages that arrive meanwhile only refresh their sender's liveness and are handled
    /// afterwards, in order, so the sink and the job book are still touched by one thread at a time.
    private func keepingWorkersAlive<T>(_ body: @escaping () throws -> T) throws -> T {
        let call = BackgroundCall(body)
        while true {
            if let outcome = call.outcome(waitingMs: 20) { return try outcome.get() }
            while let frames = try transport.receive(timeoutMs: 0) {
                if let routed = try? RoutedEnvelope.parse(frames) { workers[routed.peer]?.liveness.heard(at: clock.now) }
                deferred.append(frames)
            }
            heartbeatIfDue(now: clock.now)
        }
    }

    private func tick(sink: ResultSink, polled: ContinuousClock.Instant) {
        let now = clock.now
        heartbeatIfDue(now: now)
        for worker in workers.all where worker.liveness.isDead(now: polled) {
            logger.warning("worker \(worker.name) is silent for \(settings.liveness) heartbeats: declared dead")
            lose(worker.peer, reason: "missed heartbeats", sink: sink)
        }
        if let gate { screen(gate, now: now, sink: sink) }
    }

    static let revokedReason = "key revoked"

    /// Logs refused handshakes and applies a changed allow-list: CURVE authenticates a connection
    /// once, so a worker whose key was removed is told to leave and its job requeued.
    private func screen(_ gate: ClientKeyGate, now: ContinuousClock.Instant, sink: ResultSink) {
        for (refusal, repeats) in refusalDigest.admit(gate.drainRefusals(), now: now) {
            let repeated = repeats > 0 ? " (\(repeats) more refusal(s) of it not logged)" : ""
            logger.warning("refused a CURVE handshake from \(refusal.address): key \(refusal.fingerprint ?? "none") (\(refusal.reason)); it gets nothing\(repeated)")
        }
        switch gate.reloadIfChanged(now: now) {
        case .reloaded(let added, let removed, let trigger)?:
            logger.info("allowed keys reloaded (\(trigger)): \(gate.allowedNames.count) allowed; added \(added.isEmpty ? "none" : added.joined(separator: ", ")); removed \(removed.isEmpty ? "none" : removed.map(CurveCertificate.fingerprint(of:)).joined(separator: ", "))")
            for worker in workers.all {
                guard let key = worker.key, !gate.admits(key) else { continue }
                logger.warning("worker \(worker.name)'s key \(gate.describe(key)) was removed from allowed/: told to leave")
                send(worker.peer, Envelope.make(.bye, ByeHeader(reason: Self.revokedReason)))
                lose(worker.peer, reason: Self.revokedReason, sink: sink)
            }
        case .failed(let reason)?:
            logger.error("allowed keys not reloaded, the previous list stays in force: \(reason)")
        case nil:
            break
        }
    }

    private func lose(_ peer: Data, reason: String, sink: ResultSink) {
        guard let worker = workers.remove(peer) else { return }
        workersLost += 1
        events?.emit(.workerLost(worker.name, reason: reason))
        for running in book.running(on: worker.name) {
            guard let job = book.job(running.id) else { continue }
            logger.warning("\(job.id) attempt \(running.attempt) lost with worker \(worker.name) (\(reason)); requeued")
            requeue(job, attempt: running.attempt, error: "worker \(worker.name) lost: \(reason)", worker: worker.name, sink: sink)
        }
    }

    private func dispatch(sink: ResultSink) {
        for worker in workers.idle {
            guard var job = book.next(cachedShards: worker.cachedShards) else {
                backUp(on: worker, sink: sink)
                continue
            }
            do {
                let ready = job
                job = try keepingWorkersAlive { try sink.materialize(ready) }
                book.replace(job)
            } catch {
                let attempt = book.start(job.id, worker: "coordinator")
                requeue(job, attempt: attempt, error: "could not prepare the job's inputs: \(error)", worker: "coordinator", sink: sink)
                continue
            }
            let attempt = book.start(job.id, worker: worker.name)
            stragglers.started(job.id, at: clock.now)
            let threads = grantedThreads(for: worker)
            hand(job, attempt: attempt, to: worker, sink: sink, threads: threads,
                 note: threads.map { " (\($0) threads: the host's other workers are idle, no job is left to start)" } ?? "")
        }
    }

    /// For a job that starts when no other job is left to start, the cores of its host's workers
    /// when all the others are idle (they would only wait for the run to end, as they do for the
    /// ensemble, which needs every other job's results); nil when that adds no thread.
    private func grantedThreads(for worker: WorkerTable.Entry) -> Int? {
        guard book.pendingCount == 0 else { return nil }
        let host = workers.entries.values.filter { $0.hello.host == worker.hello.host }
        guard host.allSatisfy({ $0.peer == worker.peer || $0.runningJob == nil }) else { return nil }
        let threads = host.reduce(0) { $0 + max(1, $1.hello.cores) }
        return threads > worker.hello.cores ? threads : nil
    }

    /// With no ready job for an idle worker, starts a backup copy of the worst straggler on it.
    private func backUp(on worker: WorkerTable.Entry, sink: ResultSink) {
        let candidates = book.jobs.filter { job in
            guard case .running(let holder, _) = book.states[job.id] else { return false }
            return holder != worker.name && book.backups[job.id] == nil
        }
        guard let job = stragglers.straggler(among: candidates, now: clock.now),
              let attempt = book.startBackup(job.id, worker: worker.name) else { return }
        let expected = stragglers.expectedSeconds(job).map { String(format: "%.1f", $0) } ?? "?"
        hand(job, attempt: attempt, to: worker, sink: sink,
             note: " (backup copy: \(primaryWorker(of: job.id) ?? "?") runs it longer than \(stragglers.factor)× the expected \(expected) s)")
    }

    private func primaryWorker(of id: String) -> String? {
        if case .running(let holder, _) = book.states[id] { return holder }
        return nil
    }

    private func hand(_ job: PlannedJob, attempt: Int, to worker: WorkerTable.Entry, sink: ResultSink, threads: Int? = nil, note: String) {
        do {
            let payload = try JSONEncoder().encode(job.spec)
            let header = JobHeader(jobID: job.id, attempt: attempt, runID: runID, threads: threads)
            send(worker.peer, try Envelope(command: .job, header: header, payload: payload))
            dispatchedAt["\(job.id)#\(attempt)"] = clock.now
            workers[worker.peer]?.runningJob = job.id
            sink.jobChanged(job: job, status: .running, attempt: attempt, worker: worker.name, error: nil)
            logger.info("\(job.id) attempt \(attempt) → \(worker.name)\(note)")
        } catch {
            requeue(job, attempt: attempt, error: "could not send the job: \(error)", worker: worker.name, sink: sink)
        }
    }

    private func send(_ peer: Data, _ envelope: Envelope) {
        do {
            _ = try transport.send(RoutedEnvelope(peer: peer, envelope: envelope).frames())
        } catch {
            logger.warning("send to a worker failed: \(error)")
        }
    }
}

/// One call on a thread of its own, whose outcome the caller polls.
/// `@unchecked Sendable`: `result` is guarded by `lock`; `body` is run once, by the thread.
private final class BackgroundCall<T>: @unchecked Sendable {
    private let lock = NSCondition()
    private var result: Result<T, any Error>?
    private let body: () throws -> T

    init(_ body: @escaping () throws -> T) {
        self.body = body
        Thread { [self] in
            let outcome = Result { try self.body() }
            lock.lock()
            result = outcome
            lock.broadcast()
            lock.unlock()
        }.start()
    }

    /// The outcome once the call has returned, waiting at most `waitingMs` for it.
    func outcome(waitingMs: Int) -> Result<T, any Error>? {
        lock.lock()
        defer { lock.unlock() }
        if result == nil { _ = lock.wait(until: Date().addingTimeInterval(Double(waitingMs) / 1000)) }
        return result
    }
}
