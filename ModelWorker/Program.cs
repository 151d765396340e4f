namespace ModelWorker;

/// <summary>
/// `dotnet run --project ModelWorker -c Release -- --urls http://127.0.0.1:5001 --model PATH` (options in
/// ModelWorker/README.md). A class, not top-level statements: the test project also references the Gateway,
/// whose Program would clash with a global one.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        if (args is [KServe.GrpcInferVerb.Name, .. var rest])
        {
            return KServe.GrpcInferVerb.RunAsync(rest, Console.Out, Console.Error).GetAwaiter().GetResult();
        }

        IoScheduling.PreferInline();
        try
        {
            using var app = WorkerApp.Build(args ?? []);
            ListeningLine.WriteWhenStarted(app, Console.Out); // the bound addresses, for a supervisor that asked for port 0
            app.Run();
            return Environment.ExitCode; // 1 when the model could not be loaded
        }
        catch (WorkerOptionsException ex)
        {
            foreach (var error in ex.Errors)
            {
                Console.Error.WriteLine($"ModelWorker: {error}");
            }

            return 2;
        }
    }
}
