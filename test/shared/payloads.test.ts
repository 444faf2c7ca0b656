// Every payload schema round-trips the examples of ../shared/reference/pioreactor-mqtt.md §3-§5.4,
// and a malformed payload is rejected with a message that names the field.
import assert from 'node:assert/strict';
import * as P from '../../shared/payloads.js';

const T6 = '2026-11-24T08:18:24.211000Z';
const T3 = '2026-11-24T08:18:24.211Z';
const T0 = '2026-11-24T08:18:24Z';

/** Examples as printed in the reference (§3.1-§3.9, §4, §5.4). */
const examples: Array<[string, any, string]> = [
  ['ODReading (raw)', P.ODReading, `{"calibrated":0,"timestamp":"${T6}","angle":"90","od":0.0123,"channel":"2","ir_led_intensity":80.0}`],
  ['ODReading (calibrated)', P.ODReading, `{"calibrated":1,"timestamp":"${T6}","angle":"90","od":0.53,"channel":"2","ir_led_intensity":80.0,"calibration_name":"od600-cal"}`],
  ['RawODReading', P.RawODReading, `{"timestamp":"${T3}","angle":"135","od":0.2,"channel":"1","ir_led_intensity":80.0}`],
  ['ODReadings', P.ODReadings, `{"timestamp":"${T6}","ods":{"2":{"calibrated":0,"timestamp":"${T6}","angle":"90","od":0.0123,"channel":"2","ir_led_intensity":80.0}}}`],
  ['ODFused', P.ODFused, `{"od_fused":0.53,"timestamp":"${T0}"}`],
  ['ODFiltered', P.ODFiltered, `{"od_filtered":1.42,"timestamp":"${T6}"}`],
  ['GrowthRate', P.GrowthRate, `{"growth_rate":0.213,"timestamp":"${T6}"}`],
  ['Temperature', P.Temperature, `{"timestamp":"${T6}","temperature":31.92}`],
  ['MeasuredRPM', P.MeasuredRPM, `{"measured_rpm":512.3,"timestamp":"${T6}"}`],
  ['Voltage', P.Voltage, `{"timestamp":"${T6}","voltage":5.02}`],
  ['relative_intensity_of_ir_led', P.RelativeIntensityOfIrLed, `{"relative_intensity_of_ir_led":1.0,"timestamp":"${T3}"}`],
  ['KalmanFilterOutput', P.KalmanFilterOutput, `{"state":[0.1,0.2,0.0],"covariance_matrix":[[1,0,0],[0,1,0],[0,0,1]],"timestamp":"${T6}"}`],
  ['DosingEvent', P.DosingEvent, `{"volume_change":0.25,"event":"add_media","source_of_event":"dosing_automation:chemostat","timestamp":"${T6}"}`],
  ['DosingEvent (negative correction)', P.DosingEvent, `{"volume_change":-0.25,"event":"remove_waste","source_of_event":"CLI","timestamp":"${T6}"}`],
  ['LedChangeEvent', P.LedChangeEvent, `{"channel":"B","intensity":50.0,"source_of_event":"led_automation:light_dark_cycle","timestamp":"${T6}"}`],
  ['leds/intensity', P.LedsIntensity, `{"A":0.0,"B":50.0,"C":0.0,"D":0.0}`],
  ['pwms/dc', P.PwmsDc, `{"17":35.0,"12":12.5}`],
  ['log', P.LogPayload, `{"message":"Ready.","level":"NOTICE","task":"stirring","source":"app","timestamp":"${T3}","taskName":null}`],
  ['AutomationEvent', P.AutomationEvent, `{"event_name":"DilutionEvent","message":"exchanged 1.0mL","data":{"exchange_volume_ml":1.0}}`],
  ['AutomationEvent (nulls)', P.AutomationEvent, `{"event_name":"NoEvent","message":null,"data":null}`],
  ['AutomationSettings', P.AutomationSettings, `{"pioreactor_unit":"pio01","experiment":"exp1","started_at":"${T6}","ended_at":null,"automation_name":"chemostat","settings":"eyJkdXJhdGlvbiI6IDIwfQ=="}`],
  ['Assignment', P.Assignment, `{"pioreactor_unit":"pio01","experiment":"exp1","assigned_at":"${T3}","updated_at":"${T3}"}`],
  ['Assignment (unassigned)', P.Assignment, `{"pioreactor_unit":"pio01","experiment":null,"assigned_at":null,"updated_at":"${T3}"}`],
  ['computer_statistics', P.ComputerStatistics, `{"available_disk_space":12.3,"cpu_temperature_celcius":51,"timestamp":"${T3}"}`],
  ['versions', P.Versions, `{"app":"26.7.2","hat":"1.2","firmware":"0.3","hat_serial":"abc","rpi_machine":"Raspberry Pi 4","timestamp":"${T3}"}`],
  ['od_blank/means', P.OdBlankMeans, `{"2":0.0123}`],
  ['CommittedAck (colony)', P.CommittedAck, `{"epoch":"e1","seq":42,"timestamp":"${T3}"}`],
];

describe('payload schemas (pioreactor-mqtt.md §3-§5)', () => {
  for (const [name, schema, text] of examples) {
    it(`round-trips the reference example: ${name}`, () => {
      const first = P.parsePayload(schema, text);
      assert.ok(first.ok, first.ok ? '' : first.error);
      const again = P.parsePayload(schema, JSON.stringify(first.value));
      assert.ok(again.ok);
      assert.deepEqual(again.value, first.value);
      // Every field of the example survives (readers keep what they know, and loose objects keep the rest).
      const orig = JSON.parse(text);
      for (const k of Object.keys(orig)) assert.ok(k in (first.value as object), `field ${k} kept`);
    });
  }

  it('accepts the outbox sequence fields Colony adds, and ignores unknown ones', () => {
    const r = P.parsePayload(P.GrowthRate, `{"growth_rate":0.2,"timestamp":"${T3}","colony_seq":7,"colony_epoch":"abc","future":1}`);
    assert.ok(r.ok);
    assert.equal(r.value.colony_seq, 7);
  });

  const bad: Array<[string, any, string, RegExp]> = [
    ['od as a string', P.ODReading, `{"calibrated":0,"timestamp":"${T3}","angle":"90","od":"x","channel":"2","ir_led_intensity":80}`, /^od:/],
    ['angle as a number', P.ODReading, `{"calibrated":0,"timestamp":"${T3}","angle":90,"od":0.1,"channel":"2","ir_led_intensity":80}`, /^angle:/],
    ['channel 5', P.ODReading, `{"calibrated":0,"timestamp":"${T3}","angle":"90","od":0.1,"channel":"5","ir_led_intensity":80}`, /^channel:/],
    ['nested bad angle', P.ODReadings, `{"timestamp":"${T3}","ods":{"2":{"calibrated":0,"timestamp":"${T3}","angle":"91","od":0.1,"channel":"2","ir_led_intensity":80}}}`, /^ods\.2\.angle:/],
    ['a timestamp with 2 digits', P.GrowthRate, `{"growth_rate":0.1,"timestamp":"2026-11-24T08:18:24.21Z"}`, /^timestamp:/],
    ['a missing growth_rate', P.GrowthRate, `{"timestamp":"${T3}"}`, /^growth_rate:/],
    ['an unknown dosing event', P.DosingEvent, `{"volume_change":1,"event":"add_water","source_of_event":null,"timestamp":"${T3}"}`, /^event:/],
    ['LED channel E', P.LedChangeEvent, `{"channel":"E","intensity":5,"source_of_event":null,"timestamp":"${T3}"}`, /^channel:/],
    ['leds/intensity without D', P.LedsIntensity, `{"A":0,"B":0,"C":0}`, /^D:/],
    ['pwms/dc keyed by a name', P.PwmsDc, `{"stirring":10}`, /stirring/],
    ['a lower-case log level', P.LogPayload, `{"message":"m","level":"info","task":"t","source":"app","timestamp":"${T3}"}`, /^level:/],
    ['an unknown event tag', P.AutomationEvent, `{"event_name":"Exploded","message":null,"data":null}`, /^event_name:/],
    ['settings not base64', P.AutomationSettings, `{"pioreactor_unit":"u","experiment":"e","started_at":"${T3}","ended_at":null,"automation_name":"a","settings":"{not b64}"}`, /^settings:/],
    ['not JSON at all', P.GrowthRate, `{"growth_rate":`, /invalid JSON/],
    ['a bioreactor value that is not a number', P.BioreactorValue, `abc`, /not a number/],
  ];
  for (const [name, schema, text, re] of bad) {
    it(`rejects ${name}, naming the field`, () => {
      const r = P.parsePayload(schema, text);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error, re);
    });
  }

  it('parses bioreactor values as bare numbers', () => {
    const r = P.parsePayload(P.BioreactorValue, '14.5');
    assert.ok(r.ok);
    assert.equal(r.value, 14.5);
  });
});
