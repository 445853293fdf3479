using System.CommandLine;
using System.Text;
using HiStream.Gateway.Api;

namespace HiStream.Gateway.Cli;

/// <summary><c>failed</c>, <c>pause</c>, <c>resume</c>, <c>priority</c>, <c>deadline</c>: a job's failures and its control.</summary>
public static class JobControlCommands
{
    public static IEnumerable<Command> Create(Func<Option<Uri>> gatewayOption, Func<Option<string?>> apiKeyOption, Func<Argument<string>> jobArgument, Func<Func<Task<int>>, Task<int>> guard)
    {
        yield return Failed();
        yield return Simple("pause", "Pause a job: no more of its videos start; running ones finish", "pause");
        yield return Simple("resume", "Resume a paused job", "resume");
        yield return Priority();
        yield return Deadline();

        Command Failed()
        {
            var gateway = gatewayOption();
            var apiKey = apiKeyOption();
            var job = jobArgument();
            var command = new Command("failed", "List a job's failed videos with their errors") { gateway, apiKey, job };
            command.SetAction(async (parse, ct) => await guard(async () =>
            {
                using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
                return await PrintFailuresAsync(client, parse.GetValue(job)!, ct);
            }));
            return command;
        }

        Command Simple(string name, string description, string action)
        {
            var gateway = gatewayOption();
            var apiKey = apiKeyOption();
            var job = jobArgument();
            var command = new Command(name, description) { gateway, apiKey, job };
            command.SetAction(async (parse, ct) => await guard(async () =>
            {
                using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
                ProgressView.PrintStatus(await client.ControlAsync(parse.GetValue(job)!, action, null, ct));
                return 0;
            }));
            return command;
        }

        Command Priority()
        {
            var gateway = gatewayOption();
            var apiKey = apiKeyOption();
            var job = jobArgument();
            var value = new Argument<int>("priority") { Description = "New priority, -1000..1000 (higher runs first)" };
            var command = new Command("priority", "Change a job's priority; its queued videos move at once") { gateway, apiKey, job, value };
            command.SetAction(async (parse, ct) => await guard(async () =>
            {
                using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
                ProgressView.PrintStatus(await client.ControlAsync(parse.GetValue(job)!, "priority", new PriorityRequest(parse.GetValue(value)), ct));
                return 0;
            }));
            return command;
        }

        Command Deadline()
        {
            var gateway = gatewayOption();
            var apiKey = apiKeyOption();
            var job = jobArgument();
            var at = new Option<DateTimeOffset?>("--at") { Description = "Deadline as an ISO 8601 time" };
            var within = new Option<TimeSpan?>("--in") { Description = "Deadline from now, e.g. 02:00:00" };
            var clear = new Option<bool>("--clear") { Description = "Remove the deadline" };
            var command = new Command("deadline", "Set the time by which a job's videos must have started; the others fail") { gateway, apiKey, job, at, within, clear };
            command.Validators.Add(result =>
            {
                int given = (result.GetValue(at) is null ? 0 : 1) + (result.GetValue(within) is null ? 0 : 1) + (result.GetValue(clear) ? 1 : 0);
                if (given != 1) result.AddError("deadline: give exactly one of --at, --in or --clear.");
            });
            command.SetAction(async (parse, ct) => await guard(async () =>
            {
                using var client = new GatewayClient(parse.GetValue(gateway)!, parse.GetValue(apiKey));
                DateTimeOffset? deadline = parse.GetValue(clear) ? null : parse.GetValue(at) ?? DateTimeOffset.UtcNow + parse.GetValue(within)!.Value;
                ProgressView.PrintStatus(await client.ControlAsync(parse.GetValue(job)!, "deadline", new DeadlineRequest(deadline), ct));
                return 0;
            }));
            return command;
        }
    }

    /// <summary>One line per failed video: index, video id, attempts, error. Exit code 0 (none) or 1 (some failed).</summary>
    public static async Task<int> PrintFailuresAsync(GatewayClient client, string jobId, CancellationToken cancellationToken)
    {
        int skip = 0, total = 0;
        while (true)
        {
            var page = await client.FailuresAsync(jobId, skip, 500, cancellationToken);
            total = page.Total;
            var sb = new StringBuilder();
            foreach (var item in page.Items)
                sb.AppendLine($"{item.Index}\t{item.VideoId}\t{item.Attempts}\t{item.Error.ReplaceLineEndings(" ")}");
            Console.Write(sb.ToString());
            if (page.NextSkip is not { } next) break;
            skip = next;
        }
        Console.Error.WriteLine($"{total} failed");
        return total == 0 ? 0 : 1;
    }
}
