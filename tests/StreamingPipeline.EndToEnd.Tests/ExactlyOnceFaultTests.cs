using Xunit.Abstractions;

namespace StreamingPipeline.EndToEnd.Tests;

/// <summary>
/// A job's instances as `pipeline` child processes under faults, while the input is being written and a read_committed
/// reader follows the output: SIGKILL of instances (and in some rounds of the broker), scaling the group, a zombie
/// paused past its session timeout. In every case the output equals the truth of <see cref="ProcessingScenario"/> for
/// the job exactly. Each job's test class derives from this one with its record counts.
/// </summary>
public abstract class ExactlyOnceFaultTests(ITestOutputHelper testOutput, ScenarioJob job, ExactlyOnceFaultTests.RecordsPerPartition records)
{
    /// <summary>Records per input partition in each scenario.</summary>
    public sealed record RecordsPerPartition(int KillRounds, int Scaling, int Zombie);

    [Fact]
    public async Task Instances_and_broker_killed_at_random_moments_leave_the_output_exactly_once()
    {
        var seed = Environment.TickCount;
        var random = new Random(seed);
        await using var scenario = await ProcessingScenario.StartAsync(testOutput, partitions: 4, recordsPerPartition: records.KillRounds, job, seed);
        scenario.Log($"seed {seed}");
        scenario.StartInstance("a");
        scenario.StartInstance("b");
        scenario.StartConcurrentReader();
        scenario.StartProducing(recordsPerStep: 5, stepMilliseconds: 50);
        var midStreamKills = 0;
        for (var round = 1; round <= 6; round++)
        {
            // Kill only once the group is doing work again, so every kill lands mid-stream.
            var before = scenario.CommittedTotal();
            await Eventually.TrueAsync(() => scenario.CommittedTotal() > before || scenario.ProducerDone, $"progress before round {round}", ProcessingScenario.Timeout);
            await Task.Delay(random.Next(300, 1500));
            var victims = random.Next(3) switch { 0 => ["a"], 1 => ["b"], _ => new[] { "a", "b" } };
            var killBroker = round % 3 == 2;
            var committed = scenario.CommittedTotal();
            if (committed < scenario.TotalRecords)
            {
                midStreamKills += victims.Length;
            }
            scenario.Log($"round {round}: killing {string.Join(",", victims)}{(killBroker ? " and the broker" : "")}; committed {committed} of {scenario.TotalRecords}");
            foreach (var victim in victims)
            {
                await scenario.KillInstanceAsync(victim, restart: !killBroker);
            }
            if (killBroker)
            {
                await scenario.RestartBrokerAsync();
                foreach (var victim in victims)
                {
                    scenario.StartInstance(victim);
                }
            }
        }
        await scenario.WaitForCatchUpAsync();
        scenario.Log("the group committed the whole input");

        Assert.True(midStreamKills >= 5, $"only {midStreamKills} kills landed mid-stream\n{scenario.History}");
        await scenario.AssertExactOutputAsync();
    }

    [Fact]
    public async Task Scaling_the_group_while_one_instance_is_killed_and_one_added_leaves_the_output_exactly_once()
    {
        await using var scenario = await ProcessingScenario.StartAsync(testOutput, partitions: 6, recordsPerPartition: records.Scaling, job, seed: 7);
        scenario.StartInstance("a");
        scenario.StartConcurrentReader();
        scenario.StartProducing(recordsPerStep: 5, stepMilliseconds: 50);
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > 1000, "the first instance committing", ProcessingScenario.Timeout);
        scenario.Log("1 -> 3 instances");
        scenario.StartInstance("b");
        scenario.StartInstance("c");
        var before = scenario.CommittedTotal();
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > before + 1000, "the three instances committing", ProcessingScenario.Timeout);
        scenario.Log("killing b, adding d (dedup: its partitions rebuild from the output on an empty state directory)");
        await scenario.KillInstanceAsync("b", restart: false);
        scenario.StartInstance("d");
        // A SIGINT before the process installed its handler would kill it (exit 130) rather than stop it cleanly.
        await Eventually.TrueAsync(() => scenario.Instance("d").Output.Contains("assigned", StringComparison.Ordinal), "d joining the group", ProcessingScenario.Timeout);
        before = scenario.CommittedTotal();
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > before + 1000 || scenario.ProducerDone, "progress after the kill", ProcessingScenario.Timeout);
        scenario.Log("3 -> 1 instance (c and d stop cleanly)");
        await scenario.Instance("c").InterruptAsync();
        await scenario.Instance("d").InterruptAsync();
        Assert.Equal(0, await scenario.Instance("c").WaitForExitAsync(ProcessingScenario.Timeout));
        Assert.Equal(0, await scenario.Instance("d").WaitForExitAsync(ProcessingScenario.Timeout));
        await scenario.KillInstanceAsync("c", restart: false);
        await scenario.KillInstanceAsync("d", restart: false);
        await scenario.WaitForCatchUpAsync();

        await scenario.AssertExactOutputAsync();
    }

    [Fact]
    public async Task A_zombie_paused_past_its_session_timeout_gets_none_of_its_work_committed()
    {
        await using var scenario = await ProcessingScenario.StartAsync(testOutput, partitions: 2, recordsPerPartition: records.Zombie, job, seed: 11);
        scenario.StartInstance("zombie");
        scenario.StartConcurrentReader();
        scenario.StartProducing(recordsPerStep: 5, stepMilliseconds: 40);
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > 500, "the first instance committing", ProcessingScenario.Timeout);
        scenario.StartInstance("healthy");
        await Eventually.TrueAsync(() => scenario.Instance("healthy").Output.Contains("assigned", StringComparison.Ordinal), "the second instance joining", ProcessingScenario.Timeout);
        var before = scenario.CommittedTotal();
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > before + 200, "both instances committing", ProcessingScenario.Timeout);

        scenario.Log("pausing the zombie past its session (6 s) and transaction (10 s) timeouts");
        await scenario.Instance("zombie").PauseAsync();
        await Eventually.TrueAsync(() => scenario.Instance("healthy").Output.Contains("assigned 0,1", StringComparison.Ordinal), "the healthy instance taking every partition", ProcessingScenario.Timeout);
        await Task.Delay(TimeSpan.FromSeconds(12));
        scenario.Log("resuming the zombie");
        await scenario.Instance("zombie").ResumeAsync();
        before = scenario.CommittedTotal();
        await Eventually.TrueAsync(() => scenario.CommittedTotal() > before + 200 || scenario.ProducerDone, "progress after the zombie woke", ProcessingScenario.Timeout);
        await scenario.WaitForCatchUpAsync();

        await scenario.AssertExactOutputAsync();
        var zombie = scenario.Instance("zombie").Output;
        Assert.True(zombie.Contains("lost", StringComparison.Ordinal) || zombie.Contains("transaction failed", StringComparison.Ordinal) || zombie.Contains("revoked", StringComparison.Ordinal),
            $"the zombie did not notice it had been replaced\n{scenario.Instance("zombie").Transcript}");
    }
}
