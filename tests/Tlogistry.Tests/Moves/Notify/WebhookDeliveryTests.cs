using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Tlogistry.Moves.Notify;
using Tlogistry.Telemetry;
using static Tlogistry.Tests.Support.Doubles.WebhookReceiver;

namespace Tlogistry.Tests.Moves.Notify;

/// <summary>
/// Move events delivered to a real HTTP receiver (Kestrel on loopback): the exact CloudEvents
/// shape, retries on what is worth retrying and only that, the bounds on attempts and queue,
/// and <c>Announce</c> returning at once whatever the receiver does.
/// </summary>
public sealed class WebhookDeliveryTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task DeliversOneStructuredCloudEventWithEveryField()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri], publicUrl: "https://registry.example.com");
        var move = NotifyProbe.Move();

        probe.Announcer.Announce(move);
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 1, "delivered");

        var request = Assert.Single(receiver.Requests);
        Assert.Equal("POST", request.Method);
        Assert.Equal("/hooks/tlogistry?token=s3cret", request.Target);
        Assert.Equal("application/cloudevents+json; charset=utf-8", request.ContentType);
        using var json = JsonDocument.Parse(request.Body);
        var e = json.RootElement;
        Assert.Equal(["specversion", "id", "source", "type", "subject", "time", "datacontenttype", "data"], e.EnumerateObject().Select(p => p.Name));
        Assert.Equal("1.0", e.GetProperty("specversion").GetString());
        var expectedId = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(
            $"moved.test/org/app:v1\n{move.Pinned}\n{move.Upstream}")));
        Assert.Equal(expectedId, e.GetProperty("id").GetString());
        Assert.Equal("https://registry.example.com", e.GetProperty("source").GetString());
        Assert.Equal("dev.tlogistry.tag.moved", e.GetProperty("type").GetString());
        Assert.Equal("moved.test/org/app:v1", e.GetProperty("subject").GetString());
        Assert.Equal("2026-03-04T05:06:07.891Z", e.GetProperty("time").GetString());
        Assert.Equal(move.FirstSeen, e.GetProperty("time").GetDateTimeOffset());
        Assert.Equal("application/json", e.GetProperty("datacontenttype").GetString());

        var data = e.GetProperty("data");
        Assert.Equal(["tag", "registry", "repository", "pinnedDigest", "upstreamDigest", "pinLogIndex", "firstSeen", "answer", "links"], data.EnumerateObject().Select(p => p.Name));
        Assert.Equal("v1", data.GetProperty("tag").GetString());
        Assert.Equal("moved.test", data.GetProperty("registry").GetString());
        Assert.Equal("org/app", data.GetProperty("repository").GetString());
        Assert.Equal(move.Pinned.ToString(), data.GetProperty("pinnedDigest").GetString());
        Assert.Equal(move.Upstream.ToString(), data.GetProperty("upstreamDigest").GetString());
        Assert.Equal(41, data.GetProperty("pinLogIndex").GetInt64());
        Assert.Equal(move.FirstSeen, data.GetProperty("firstSeen").GetDateTimeOffset());
        Assert.Equal("refused", data.GetProperty("answer").GetString());
        Assert.Equal("https://registry.example.com/tlog/moves", data.GetProperty("links").GetProperty("moves").GetString());
        Assert.Equal("https://registry.example.com/history?image=moved.test%2Forg%2Fapp", data.GetProperty("links").GetProperty("history").GetString());

        Assert.Equal(0, probe.Count("retried"));
        Assert.Equal(0, probe.Count("failed"));
        Assert.Contains(probe.Logger.Lines, l => l.Id == EventIds.Notify.Delivered && (string?)l.Fields["Id"] == expectedId);
    }

    [Fact]
    public async Task WithoutAPublicUrlTheSourceIsAUrnAndLinksArePaths()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move(refusals: 0, pinnedServes: 1));
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 1, "delivered");

        using var json = JsonDocument.Parse(Assert.Single(receiver.Requests).Body);
        Assert.Equal("urn:tlogistry", json.RootElement.GetProperty("source").GetString());
        var data = json.RootElement.GetProperty("data");
        Assert.Equal("servedPinned", data.GetProperty("answer").GetString());
        Assert.Equal("/tlog/moves", data.GetProperty("links").GetProperty("moves").GetString());
        Assert.StartsWith("/history?image=", data.GetProperty("links").GetProperty("history").GetString(), StringComparison.Ordinal);
    }

    public static TheoryData<string> TransientFailures => ["503", "429", "drop", "500", "408"];

    [Theory]
    [MemberData(nameof(TransientFailures))]
    public async Task ATransientFailureIsRetriedUntilDeliveredAsOneEvent(string failure)
    {
        const int Failures = 3;
        var reply = failure == "drop" ? Reply.Drop : Reply.With(int.Parse(failure, System.Globalization.CultureInfo.InvariantCulture), retryAfter: failure == "429" ? "0" : null);
        await using var receiver = await WebhookReceiver.StartAsync(n => n <= Failures ? reply : Reply.Ok);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move());
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 1, "delivered after retries");

        var requests = receiver.Requests;
        Assert.Equal(Failures + 1, requests.Count);
        Assert.Single(requests.Select(r => Convert.ToHexString(r.Body)).Distinct());
        Assert.Equal(Failures, probe.Count("retried"));
        Assert.Equal(0, probe.Count("failed"));
    }

    [Fact]
    public async Task RetryAfterIsHonouredWithinItsCap()
    {
        // Backoff would wait milliseconds; the receiver asks for 1 s, then for a day (cut to the 1 s cap).
        await using var receiver = await WebhookReceiver.StartAsync(n => n switch
        {
            1 => Reply.With(429, retryAfter: "1"),
            2 => Reply.With(503, retryAfter: "86400"),
            _ => Reply.Ok,
        });
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move());
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 1, "delivered");

        var waits = probe.Logger.Lines.Where(l => l.Id == EventIds.Notify.Retrying).Select(l => (double)l.Fields["Seconds"]!).ToList();
        Assert.Equal([1.0, 1.0], waits);
        Assert.Equal(3, receiver.Requests.Count);
    }

    [Theory]
    [InlineData(400)]
    [InlineData(404)]
    [InlineData(410)]
    public async Task APermanentRefusalIsNotRetried(int status)
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.With(status));
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move("v1"));
        probe.Announcer.Announce(NotifyProbe.Move("v2"));
        await NotifyProbe.WaitUntilAsync(() => probe.Count("failed") == 2, "both failed");

        // The second event's POST came after the first's verdict: a retry of the first would be between them.
        Assert.Equal(2, receiver.Requests.Count);
        Assert.Equal(0, probe.Count("retried"));
        Assert.Equal(0, probe.Count("delivered"));
    }

    [Fact]
    public async Task ARedirectIsNotFollowed()
    {
        await using var elsewhere = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.With(307, location: elsewhere.HookUri.ToString()));
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move());
        await NotifyProbe.WaitUntilAsync(() => probe.Count("failed") == 1, "failed");

        Assert.Single(receiver.Requests);
        Assert.Empty(elsewhere.Requests);
    }

    [Fact]
    public async Task AReceiverThatNeverAnswersGetsBoundedAttemptsThenTheEventFails()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Silent);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri], NotifyProbe.Quick with { AttemptTimeout = TimeSpan.FromMilliseconds(300) });

        probe.Announcer.Announce(NotifyProbe.Move());
        await NotifyProbe.WaitUntilAsync(() => probe.Count("failed") == 1, "failed after timeouts");

        Assert.Equal(NotifyProbe.Quick.MaxAttempts, receiver.Requests.Count);
        Assert.Equal(NotifyProbe.Quick.MaxAttempts - 1, probe.Count("retried"));
        Assert.Equal(0, probe.Count("delivered"));
    }

    [Fact]
    public async Task TheTotalTimeBoundEndsRetriesBeforeTheAttemptsRunOut()
    {
        // The receiver asks for 3 s before each retry; 5 s in all has room for one retry, not seven.
        var settings = NotifyProbe.Quick with { MaxAttempts = 8, MaxTotal = TimeSpan.FromSeconds(5), MaxRetryAfter = TimeSpan.FromSeconds(3) };
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.With(503, retryAfter: "3"));
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri], settings);

        probe.Announcer.Announce(NotifyProbe.Move());
        await NotifyProbe.WaitUntilAsync(() => probe.Count("failed") == 1, "failed at the time bound");

        Assert.Equal(2, receiver.Requests.Count);
        Assert.Equal(1, probe.Count("retried"));
    }

    [Fact]
    public async Task AFullQueueDropsNewEventsAndCountsThem()
    {
        var settings = NotifyProbe.Quick with { QueueCapacity = 2 };
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Gated);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri], settings);

        // The first event is taken from the queue and held by the receiver; two more fill the queue.
        probe.Announcer.Announce(NotifyProbe.Move("v1"));
        await NotifyProbe.WaitUntilAsync(() => receiver.Requests.Count == 1, "first POST arrived");
        probe.Announcer.Announce(NotifyProbe.Move("v2"));
        probe.Announcer.Announce(NotifyProbe.Move("v3"));
        probe.Announcer.Announce(NotifyProbe.Move("v4"));
        probe.Announcer.Announce(NotifyProbe.Move("v5"));

        Assert.Equal(2, probe.Count("dropped"));
        Assert.Equal(2, probe.Logger.Lines.Count(l => l.Id == EventIds.Notify.Dropped));
        receiver.Open();
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 3, "the queued events delivered");
        var subjects = receiver.Requests.Select(r => JsonDocument.Parse(r.Body).RootElement.GetProperty("subject").GetString()).ToList();
        Assert.Equal(["moved.test/org/app:v1", "moved.test/org/app:v2", "moved.test/org/app:v3"], subjects);
    }

    [Fact]
    public async Task EachUrlGetsEachEventOnce()
    {
        await using var first = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        await using var second = await WebhookReceiver.StartAsync(n => n == 1 ? Reply.With(503) : Reply.Ok);
        await using var probe = await NotifyProbe.StartAsync([first.HookUri, second.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move("v1"));
        probe.Announcer.Announce(NotifyProbe.Move("v2"));
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 4, "both events at both URLs");

        Assert.Equal(2, first.Requests.Count);
        Assert.Equal(3, second.Requests.Count);
        var ids = (WebhookReceiver r) => r.Requests.Select(q => JsonDocument.Parse(q.Body).RootElement.GetProperty("id").GetString()).Distinct().Order().ToList();
        Assert.Equal(2, ids(first).Count);
        Assert.Equal(ids(first), ids(second));
    }

    [Fact]
    public async Task AReceiverThatHangsDelaysOnlyItself()
    {
        await using var hanging = await WebhookReceiver.StartAsync(_ => Reply.Gated);
        await using var healthy = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        await using var probe = await NotifyProbe.StartAsync([hanging.HookUri, healthy.HookUri]);

        for (var i = 0; i < 10; i++)
        {
            probe.Announcer.Announce(NotifyProbe.Move("v" + i));
        }

        // Every event reaches the healthy receiver while the other still holds its first POST.
        await NotifyProbe.WaitUntilAsync(() => healthy.Requests.Count == 10, "all ten at the healthy receiver");
        Assert.Equal(0, hanging.Answered);
        Assert.Equal(10, probe.Count("delivered"));

        hanging.Open();
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 20, "the held receiver catches up");
        Assert.Equal(10, hanging.Requests.Count);
        Assert.Equal(0, probe.Count("dropped"));
    }

    [Fact]
    public async Task ASlowReceiverDoesNotSlowAnnounce()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Gated);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        // Every call returns while the receiver still holds the first POST unanswered.
        for (var i = 0; i < 20; i++)
        {
            probe.Announcer.Announce(NotifyProbe.Move("v" + i));
        }

        Assert.Equal(0, receiver.Answered);
        Assert.Equal(0, probe.Count("delivered"));
        receiver.Open();
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 20, "all delivered once the receiver answers");
        Assert.Equal(20, receiver.Requests.Count);
        Assert.Equal(0, probe.Count("dropped"));
    }

    [Fact]
    public async Task AnEndlessResponseBodyIsNotRead()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Endless);
        await using var probe = await NotifyProbe.StartAsync([receiver.HookUri]);

        probe.Announcer.Announce(NotifyProbe.Move("v1"));
        probe.Announcer.Announce(NotifyProbe.Move("v2"));
        await NotifyProbe.WaitUntilAsync(() => probe.Count("delivered") == 2, "both delivered");
        Assert.Equal(2, receiver.Requests.Count);
    }

    [Fact]
    public async Task StoppingDrainsTheQueueWithinItsBound()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Ok);
        var probe = await NotifyProbe.StartAsync([receiver.HookUri]);
        for (var i = 0; i < 5; i++)
        {
            probe.Announcer.Announce(NotifyProbe.Move("v" + i));
        }

        await probe.Announcer.StopAsync(Ct);
        Assert.Equal(5, probe.Count("delivered"));

        // After stopping, an event is dropped and counted, never thrown.
        probe.Announcer.Announce(NotifyProbe.Move("late"));
        Assert.Equal(1, probe.Count("dropped"));
        await probe.DisposeAsync();
    }

    [Fact]
    public async Task StoppingGivesUpOnAReceiverThatNeverAnswers()
    {
        await using var receiver = await WebhookReceiver.StartAsync(_ => Reply.Silent);
        var settings = NotifyProbe.Quick with { AttemptTimeout = TimeSpan.FromMinutes(5), MaxTotal = TimeSpan.FromMinutes(10), DrainTimeout = TimeSpan.FromMilliseconds(200) };
        var probe = await NotifyProbe.StartAsync([receiver.HookUri], settings);
        probe.Announcer.Announce(NotifyProbe.Move("v1"));
        probe.Announcer.Announce(NotifyProbe.Move("v2"));
        await NotifyProbe.WaitUntilAsync(() => receiver.Requests.Count == 1, "first POST arrived");

        // Returns once the drain time is up, though the POST would otherwise wait 5 minutes.
        await probe.Announcer.StopAsync(Ct);
        Assert.Equal(1, probe.Count("dropped"));
        Assert.Contains(probe.Logger.Lines, l => l.Id == EventIds.Notify.Abandoned && (int)l.Fields["Left"]! == 1);
        await probe.DisposeAsync();
    }
}
