// The console's clock offset measurement (console/app/agent_link.h): the
// round trip with the smallest RTT decides, slow round trips and absurd or
// missing agent times are not used (and the note says why), and the offset
// a start is scheduled by is 0 when the round trip cannot tell it from 0.
// Synthetic round trips: no network, no timing.
#include <QtTest>

#include "console/app/agent_link.h"

using namespace qdt::console;

namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1796174266);

// A round trip sent at kT0 + `sent_ms` taking `rtt_ms`, which the agent
// answered with its clock `offset_ms` off the console's plus `skew_ms` (where
// in the round trip it read its clock, from the midpoint).
ClockProbe Probe(double sent_ms, double rtt_ms, double offset_ms, double skew_ms = 0) {
  ClockProbe p;
  p.sent = kT0 + absl::Milliseconds(sent_ms);
  p.rtt = absl::Milliseconds(rtt_ms);
  p.agent_time = p.sent + p.rtt / 2 + absl::Milliseconds(offset_ms + skew_ms);
  return p;
}

}  // namespace

class ConsoleClockUnitTest : public QObject {
  Q_OBJECT

 private slots:
  void theSmallestRoundTripDecides() {
    // Queueing delays the answer of the slower round trips: their midpoints
    // are off. The 2 ms one read the agent's clock 0.1 ms after its midpoint.
    std::vector<ClockProbe> probes = {Probe(0, 40, 3000, 15), Probe(100, 2, 3000, 0.1),
                                      Probe(200, 25, 3000, -10), Probe(300, 9, 3000, 4),
                                      Probe(400, 300, 3000, 140)};
    ClockEstimate e = EstimateClockOffset(probes);
    QVERIFY(e.offset_ms.has_value());
    QCOMPARE(qRound(*e.offset_ms * 10), 30001);  // 3000.1 ms: the 2 ms round trip's
    QCOMPARE(e.rtt_ms, 2.0);
    QCOMPARE(e.used, 5);
    QCOMPARE(e.probes, 5);
    QVERIFY2(e.note.isEmpty(), qPrintable(e.note));

    // The same round trips in another order give the same answer; a clock
    // behind the console's gives a negative offset.
    std::vector<ClockProbe> behind = {Probe(0, 7, -2000, 3), Probe(50, 1, -2000, -0.4),
                                      Probe(90, 3, -2000, 1)};
    e = EstimateClockOffset(behind);
    QVERIFY(e.offset_ms.has_value());
    QCOMPARE(qRound(*e.offset_ms * 10), -20004);
    QCOMPARE(e.rtt_ms, 1.0);
  }

  void roundTripsOverOneSecondAreNotUsed() {
    // The 1.5 s round trip would have had the smallest error here (its
    // agent time is exact) but tells nothing trustworthy: not used.
    std::vector<ClockProbe> probes = {Probe(0, 1500, 500, 0), Probe(2000, 800, 500, 300)};
    ClockEstimate e = EstimateClockOffset(probes);
    QVERIFY(e.offset_ms.has_value());
    QCOMPARE(qRound(*e.offset_ms), 800);  // the 800 ms one, read 300 ms off its midpoint
    QCOMPARE(e.rtt_ms, 800.0);
    QCOMPARE(e.used, 1);
    QVERIFY2(e.note.contains("1 of 2 round trips not used: round trip 1500 ms, over 1000 ms"),
             qPrintable(e.note));

    ClockEstimate none = EstimateClockOffset({Probe(0, 1001, 0), Probe(10, 4000, 0)});
    QVERIFY(!none.offset_ms.has_value());
    QCOMPARE(none.used, 0);
    QVERIFY2(none.note.startsWith("no clock offset: round trip 1001 ms, over 1000 ms; round trip "
                                  "4000 ms, over 1000 ms"),
             qPrintable(none.note));
  }

  void absurdOrMissingAgentTimesGiveNoOffset() {
    // An agent whose clock says 1970 (a dead RTC): more than a year off.
    ClockProbe dead = Probe(0, 1, 0);
    dead.agent_time = absl::UnixEpoch() + absl::Seconds(5);
    ClockEstimate e = EstimateClockOffset({dead});
    QVERIFY(!e.offset_ms.has_value());
    QVERIFY2(e.note.contains("the agent's clock reads 1970-01-01 00:00:05 UTC"),
             qPrintable(e.note));
    QVERIFY2(e.note.contains("not a clock to schedule by"), qPrintable(e.note));

    // 366 days ahead: absurd; 364 days ahead: a (badly set) clock, used.
    QVERIFY(!EstimateClockOffset({Probe(0, 1, 366.0 * 86400e3)}).offset_ms.has_value());
    ClockEstimate far = EstimateClockOffset({Probe(0, 1, 364.0 * 86400e3)});
    QVERIFY(far.offset_ms.has_value());
    QCOMPARE(qRound64(*far.offset_ms), qint64(364) * 86400000);

    ClockProbe unset = Probe(0, 1, 0);
    unset.agent_time.reset();
    e = EstimateClockOffset({unset});
    QVERIFY(!e.offset_ms.has_value());
    QVERIFY2(e.note.contains("the agent sent no wall_time"), qPrintable(e.note));

    // Absurd ones beside good ones: the good ones decide, the note counts the rest.
    e = EstimateClockOffset({dead, Probe(10, 3, 250), unset});
    QVERIFY(e.offset_ms.has_value());
    QCOMPARE(qRound(*e.offset_ms), 250);
    QCOMPARE(e.used, 1);
    QVERIFY2(e.note.startsWith("2 of 3 round trips not used: "), qPrintable(e.note));

    ClockEstimate nothing = EstimateClockOffset({});
    QVERIFY(!nothing.offset_ms.has_value());
    QCOMPARE(nothing.note, QString("not measured yet"));
  }

  void theScheduleIgnoresWhatTheRoundTripCannotSee() {
    ClockEstimate e;
    QVERIFY(!ScheduleOffset(e).has_value());  // unknown stays unknown, never 0

    e.offset_ms = 0.4;
    e.rtt_ms = 1.0;  // known to ±0.5 ms: 0.4 ms could be 0
    QCOMPARE(*ScheduleOffset(e), absl::ZeroDuration());
    e.offset_ms = -0.5;
    QCOMPARE(*ScheduleOffset(e), absl::ZeroDuration());

    e.offset_ms = 3000.25;
    QCOMPARE(*ScheduleOffset(e), absl::Microseconds(3000250));
    e.offset_ms = -2000.5;
    e.rtt_ms = 30;
    QCOMPARE(*ScheduleOffset(e), absl::Microseconds(-2000500));
  }

  void aSnapshotCarriesNoOffsetUntilMeasured() {
    AgentSnapshot s;
    QVERIFY(!s.clock_offset_ms.has_value());
    QCOMPARE(s.clock_rtt_ms, 0.0);
    // A link that has never reached its agent says so.
    AgentLink link("127.0.0.1:9", "token");
    ClockEstimate e = link.clockEstimate();
    QVERIFY(!e.offset_ms.has_value());
    QVERIFY2(e.note.startsWith("not measured yet"), qPrintable(e.note));
    QVERIFY(link.startClockNote().isEmpty());
  }
};

QTEST_MAIN(ConsoleClockUnitTest)
#include "console_clock_unit_test.moc"
