using System.Diagnostics.Metrics;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading.Channels;
using Gateway.Admin;
using Gateway.Config;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Gateway.AccessLog;

/// <summary>
/// The one access-log engine (the JSON config's logs and nginx.conf's access_log alike). A request hands its finished
/// line to a bounded channel and moves on; one dedicated thread writes the lines to their files and flushes whenever
/// the channel runs empty. When the channel is full the line is dropped and counted
/// (<c>lbproxy_access_log_dropped_total{reason="queue_full"}</c>): a slow disk never slows or fails a request. SIGUSR1
/// closes every file and opens it again by name at the next line, so logrotate can move the files away (nginx's
/// <c>kill -USR1</c>, <c>nginx -s reopen</c>).
/// </summary>
internal sealed partial class AccessLogWriter : IHostedService, IDisposable
{
    private const byte NewLine = (byte)'\n';

    private readonly Channel<Line> _channel;
    private readonly ILogger<AccessLogWriter> _logger;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, FileStream> _files = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _failedUntil = new(StringComparer.Ordinal);
    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private PosixSignalRegistration? _sigusr1;
    private Thread? _thread;
    private int _reopen;
    private long _droppedCount;
    private long _writtenCount;

    public AccessLogWriter(ConfigState config, IMeterFactory meters, GatewayHostOptions options, TimeProvider time, ILogger<AccessLogWriter> logger)
    {
        // The queue's size is read at start-up (a channel cannot grow); the logs themselves follow every reload.
        var capacity = config.Current?.Options.AccessLog?.QueueLines ?? AccessLogOptions.DefaultQueueLines;
        _channel = Channel.CreateBounded<Line>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // with TryWrite: false when full, so the caller counts the drop
        });
        _logger = logger;
        _time = time;
        var meter = meters.Create(options.MeterName);
        _written = meter.CreateCounter<long>("lbproxy_access_log_lines", "{line}", "Access-log lines written to their files.");
        _dropped = meter.CreateCounter<long>("lbproxy_access_log_dropped", "{line}",
            "Access-log lines dropped: queue_full (the writer fell behind; the request was served), write_error (the file could not be written).");
        meter.CreateObservableGauge("lbproxy_access_log_queue", () => (long)_channel.Reader.Count, "{line}", "Access-log lines waiting for the writer.");
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Lines dropped since start (queue full or write errors).</summary>
    public long Dropped => Interlocked.Read(ref _droppedCount);

    /// <summary>Lines written since start.</summary>
    public long Written => Interlocked.Read(ref _writtenCount);

    /// <summary>Queues <paramref name="line"/> (without its newline) for <paramref name="path"/>; false when it was dropped.</summary>
    public bool TryWrite(string path, string line)
    {
        if (_channel.Writer.TryWrite(new Line(path, line)))
        {
            return true;
        }

        Drop("queue_full");
        return false;
    }

    /// <summary>Closes every file; each is opened again, by name, for its next line (what SIGUSR1 does).</summary>
    public void Reopen()
    {
        Volatile.Write(ref _reopen, 1);
        _channel.Writer.TryWrite(default); // wakes the writer so an idle log is reopened now, not at its next line
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsWindows())
        {
            _sigusr1 = PosixSignalRegistration.Create((PosixSignal)10 /* SIGUSR1 */, c =>
            {
                c.Cancel = true;
                LogReopening(_logger);
                Reopen();
            });
        }

        // A thread of its own: writes block (a full disk, a FIFO no one reads) and must never hold a pool thread.
        _thread = new Thread(Run) { IsBackground = true, Name = "access-log writer" };
        _thread.Start();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        _sigusr1?.Dispose();
        _channel.Writer.TryComplete();
        // Lines already queued are written before the process goes on stopping (bounded by the host's stop timeout).
        return _thread is { } thread ? Task.Run(() => thread.Join(TimeSpan.FromSeconds(5)), cancellationToken) : Task.CompletedTask;
    }

    public void Dispose()
    {
        _sigusr1?.Dispose();
        _channel.Writer.TryComplete();
    }

    private void Run()
    {
        var reader = _channel.Reader;
        try
        {
            while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                while (reader.TryRead(out var line))
                {
                    if (Interlocked.Exchange(ref _reopen, 0) == 1)
                    {
                        CloseAll();
                    }

                    if (line.Path is not null)
                    {
                        Write(line);
                    }
                }

                FlushAll();
            }
        }
        finally
        {
            CloseAll();
        }
    }

    private void Write(Line line)
    {
        var file = Open(line.Path!);
        if (file is null)
        {
            Drop("write_error");
            return;
        }

        try
        {
            var bytes = Encoding.UTF8.GetBytes(line.Text!);
            file.Write(bytes);
            file.WriteByte(NewLine);
            Interlocked.Increment(ref _writtenCount);
            _written.Add(1);
        }
        catch (IOException ex)
        {
            LogWriteFailed(_logger, line.Path!, ex.Message);
            Close(line.Path!);
            Drop("write_error");
        }
    }

    private FileStream? Open(string path)
    {
        if (_files.TryGetValue(path, out var open))
        {
            return open;
        }

        var now = _time.GetTimestamp();
        if (_failedUntil.TryGetValue(path, out var until) && now < until)
        {
            return null;
        }

        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete, bufferSize: 64 * 1024);
            _files[path] = file;
            _failedUntil.Remove(path);
            return file;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Tried again after a second (or at the next SIGUSR1), not for every line.
            _failedUntil[path] = now + _time.TimestampFrequency;
            LogOpenFailed(_logger, path, ex.Message);
            return null;
        }
    }

    private void FlushAll()
    {
        foreach (var (path, file) in _files.ToList())
        {
            try
            {
                file.Flush();
            }
            catch (IOException ex)
            {
                LogWriteFailed(_logger, path, ex.Message);
                Close(path);
            }
        }
    }

    private void CloseAll()
    {
        foreach (var path in _files.Keys.ToList())
        {
            Close(path);
        }

        _failedUntil.Clear();
    }

    private void Close(string path)
    {
        if (_files.Remove(path, out var file))
        {
            try
            {
                file.Dispose();
            }
            catch (IOException ex)
            {
                LogWriteFailed(_logger, path, ex.Message);
            }
        }
    }

    private void Drop(string reason)
    {
        Interlocked.Increment(ref _droppedCount);
        _dropped.Add(1, new KeyValuePair<string, object?>(MetricTags.Reason, reason));
    }

    /// <summary>A line for a file; the default (no path) only wakes the writer.</summary>
    private readonly record struct Line(string? Path, string? Text);

    [LoggerMessage(EventId = 1100, Level = LogLevel.Information, Message = "SIGUSR1: reopening access logs")]
    private static partial void LogReopening(ILogger logger);

    [LoggerMessage(EventId = 1101, Level = LogLevel.Error, Message = "access log {Path} cannot be opened: {Reason}; its lines are dropped (lbproxy_access_log_dropped_total) until it can")]
    private static partial void LogOpenFailed(ILogger logger, string path, string reason);

    [LoggerMessage(EventId = 1102, Level = LogLevel.Error, Message = "access log {Path} cannot be written: {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string path, string reason);
}
