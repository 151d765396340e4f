using Spectre.Console;

namespace Benchmarks.Soak;

/// <summary>The `soak` verb: runs <see cref="SoakEngine"/> with a live progress line, prints the table, optionally writes it.</summary>
internal static class SoakBenchmark
{
    public static async Task<int> RunAsync(string[] args)
    {
        var options = SoakOptions.Parse(args);
        SoakReport? report = null;
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new ElapsedTimeColumn())
            .StartAsync(async context =>
            {
                var task = context.AddTask("starting the gateway and its fleet", maxValue: 1);
                report = await SoakEngine.RunAsync(options, p =>
                {
                    task.MaxValue = Math.Max(1, p.Total.TotalSeconds);
                    task.Value = Math.Min(task.MaxValue, p.Elapsed.TotalSeconds);
                    task.Description = Markup.Escape($"{p.Phase}: {p.Sent} sent, {p.Errors} errors, RSS {p.RssMb:0} MB, {p.Workers} workers, {p.Kills} killed, {p.Reloads} reloads");
                });
            });

        var command = "dotnet run --project benchmarks/LbProxy.Benchmarks -c Release -- soak " + string.Join(' ', args);
        var markdown = report!.ToMarkdown(command.TrimEnd());
        AnsiConsole.WriteLine(markdown);
        if (options.OutFile is { } file)
        {
            await File.WriteAllTextAsync(file, markdown);
        }

        return report.AllMet ? 0 : 1;
    }
}
