// An example dosing automation plugin for Colony: copy this file into <dataDir>/plugins/ and restart the
// leader. Every `every_minutes` it adds `pulse_ml` of media and removes the same volume of waste.
// It uses only what the leader hands it (the sdk), so it needs no node_modules of its own.
export default ({ z, DosingAutomation, event }) => {
  const settings = z.strictObject({
    pulse_ml: z.coerce.number().positive().default(0.5),
    every_minutes: z.coerce.number().positive().default(30),
  });

  class PulseFeed extends DosingAutomation {
    automationName = 'pulse_feed';
    schedule() {
      this.runEvery(Number(this.settings.every_minutes), false, 2);
    }
    async execute() {
      const ml = Number(this.settings.pulse_ml);
      const moved = await this.executeIoAction([['media', ml]], ml);
      return event('DilutionEvent', `pulsed ${moved.media_ml} mL of media`, { pulse_ml: ml, moved_ml: moved.media_ml });
    }
  }

  return {
    name: 'pulse_feed',
    kind: 'dosing',
    settings,
    settable: ['pulse_ml', 'every_minutes'],
    create: (host, s, o) => new PulseFeed(host, s, o, ['pulse_ml', 'every_minutes']),
    descriptor: {
      display_name: 'Pulse feed',
      automation_name: 'pulse_feed',
      description: 'Add a pulse of media (and remove as much waste) at a fixed interval.',
      fields: [
        { key: 'pulse_ml', default: 0.5, label: 'Pulse volume', unit: 'mL', type: 'numeric', disabled: false },
        { key: 'every_minutes', default: 30, label: 'Time between pulses', unit: 'min', type: 'numeric', disabled: false },
      ],
    },
  };
};
