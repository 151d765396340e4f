using System.Diagnostics;
using Gateway.Fleet;
using Gateway.Tests.Fleet;
using Gateway.Tests.Ops;
using Microsoft.Playwright;
using Xunit.Abstractions;

namespace Gateway.Tests.Admin;

/// <summary>
/// The status page in a real browser (Debian's headless Chromium, driven by Playwright) against the embedded
/// default with real ModelWorker processes: every destination is listed, a worker killed with SIGKILL is shown
/// down within 2 s, and the screenshot is kept (Gateway.Tests/TestResults/ops/status-page.png).
/// </summary>
[Collection(FleetProcesses.Name)]
public class StatusPageBrowserTests(ITestOutputHelper output)
{
    public const string ChromiumPath = "/usr/bin/chromium";

    [Fact]
    public async Task StatusPage_WorkerKilled_ShownDownWithinTwoSeconds()
    {
        File.Delete(Path.Combine(OpsArtifacts.Folder, "status-page-failed.png"));
        Assert.True(File.Exists(ChromiumPath), $"{ChromiumPath} is missing: apt-get install chromium (bash .ci/test.sh installs it when missing)");
        // Autoscaling on but held at 3 (min = max), so the page shows the autoscaler's decisions with their inputs.
        await using var gateway = await FleetGateway.StartAsync(workers: 3,
            new AutoscaleOptions { MinReplicas = 3, MaxReplicas = 3, SyncPeriodSeconds = 1 });
        gateway.StartTraffic(clients: 2, pause: TimeSpan.FromMilliseconds(40));

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = ChromiumPath,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"], // runs as root in a container
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 900 } });
        var consoleErrors = new List<string>();
        page.Console += (_, message) =>
        {
            if (message.Type == "error")
            {
                consoleErrors.Add($"{message.Text} ({message.Location})");
            }
        };
        try
        {
            await page.GotoAsync(gateway.Host.AdminUrls[0] + "/");

            // Every destination of the fleet is listed and up.
            var workers = gateway.Fleet.Workers;
            Assert.Equal(3, workers.Count);
            foreach (var worker in workers)
            {
                await page.WaitForSelectorAsync($"tr[data-destination='{worker.Id}'][data-state='up']", new PageWaitForSelectorOptions { Timeout = 15_000 });
            }

            Assert.Equal(3, await page.Locator("table.destinations tbody tr").CountAsync());
            Assert.Equal(3, await page.Locator("table.workers tbody tr").CountAsync());
            // Let the sparklines fill for a few seconds of traffic.
            await FleetGateway.WaitUntilAsync(async () => await page.Locator("svg.spark.p95 polyline").CountAsync() >= 3,
                TimeSpan.FromSeconds(15), "p95 sparklines for every destination");
            await page.WaitForSelectorAsync("ul.decisions li:has-text('desired 3')", new PageWaitForSelectorOptions { Timeout = 10_000 });
            await Task.Delay(3000);

            var victim = workers[0];
            var clock = Stopwatch.StartNew();
            Process.GetProcessById(victim.Pid).Kill();
            await page.WaitForSelectorAsync($"tr[data-destination='{victim.Id}'][data-state='down']", new PageWaitForSelectorOptions { Timeout = 10_000 });
            var markedDown = clock.Elapsed;
            output.WriteLine($"kill -9 of {victim.Id} (pid {victim.Pid}): shown down after {markedDown.TotalMilliseconds:0} ms");
            var reason = await page.Locator($"tr[data-destination='{victim.Id}'] .reason").InnerTextAsync();
            output.WriteLine($"reason shown: {reason}");

            // The event log shows the exit, fed by the supervisor's own log line.
            await page.WaitForSelectorAsync($"#events tr[data-kind='worker-exited']:has-text('{victim.Id}')", new PageWaitForSelectorOptions { Timeout = 5_000 });
            // Taken out of the cluster by the supervisor by now, it stays listed as down (with its history) for a minute.
            Assert.Equal(1, await page.Locator($"tr[data-destination='{victim.Id}'][data-state='down']").CountAsync());
            var screenshot = Path.Combine(OpsArtifacts.Folder, "status-page.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });
            output.WriteLine($"screenshot: {screenshot}");

            Assert.True(markedDown < TimeSpan.FromSeconds(2), $"{victim.Id} was shown down only after {markedDown.TotalMilliseconds:0} ms");
            Assert.Equal("live", await page.Locator("#connection").InnerTextAsync());
            Assert.Empty(consoleErrors);
            Assert.True(new FileInfo(screenshot).Length > 10_000, "the screenshot is empty");
        }
        catch (Exception ex) when (ex is TimeoutException or Xunit.Sdk.XunitException or PlaywrightException)
        {
            // What the page showed when it went wrong, beside where the good screenshot would be.
            var failed = Path.Combine(OpsArtifacts.Folder, "status-page-failed.png");
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = failed, FullPage = true });
            output.WriteLine($"failure screenshot: {failed}");
            throw;
        }
    }
}
