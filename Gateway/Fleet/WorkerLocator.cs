using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Gateway.Fleet;

/// <summary>
/// Finds ModelWorker.dll and the bundled model: next to the gateway (a published layout), or in this checkout's
/// ModelWorker build output, building it first when it is missing — so the one run command works on a fresh clone.
/// </summary>
internal static partial class WorkerLocator
{
    public const string BundledModel = "classifier-small.onnx";

    public static async Task<string> FindOrBuildAsync(string? configured, ILogger logger, CancellationToken cancellationToken)
    {
        if (configured is not null)
        {
            return File.Exists(configured) ? Path.GetFullPath(configured)
                : throw new FileNotFoundException($"the worker given by WorkerPath does not exist: {configured}");
        }

        var beside = Path.Combine(AppContext.BaseDirectory, "ModelWorker.dll");
        if (File.Exists(beside))
        {
            return beside;
        }

        var root = FindCheckoutRoot() ?? throw new FileNotFoundException(
            "ModelWorker.dll is not next to the gateway and no LbProxy checkout is above it; pass the fleet's WorkerPath.");
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Debug{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Debug" : "Release";
        var candidate = Path.Combine(root, "ModelWorker", "bin", configuration, "net10.0", "linux-x64", "ModelWorker.dll");
        if (!File.Exists(candidate))
        {
            LogBuilding(logger, configuration);
            using var build = Process.Start(new ProcessStartInfo("dotnet", ["build", Path.Combine(root, "ModelWorker"), "-c", configuration, "--nologo", "-v", "q"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            })!;
            var output = build.StandardOutput.ReadToEndAsync(cancellationToken);
            var errors = build.StandardError.ReadToEndAsync(cancellationToken);
            await build.WaitForExitAsync(cancellationToken);
            if (build.ExitCode != 0)
            {
                throw new InvalidOperationException($"building ModelWorker failed:{Environment.NewLine}{await output}{await errors}");
            }
        }

        return candidate;
    }

    /// <summary>The bundled model next to the worker.</summary>
    public static string BundledModelPath(string workerPath) =>
        Path.Combine(Path.GetDirectoryName(workerPath)!, "models", BundledModel);

    private static string? FindCheckoutRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "LbProxy.sln")))
            {
                return dir.FullName;
            }
        }

        return null;
    }

    [LoggerMessage(EventId = 300, Level = LogLevel.Information, Message = "Building ModelWorker ({Configuration}) for the local fleet...")]
    private static partial void LogBuilding(ILogger logger, string configuration);
}
