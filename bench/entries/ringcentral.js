// @ringcentral/sdk: the SDK class (platform login, platform.get with refresh).
export { SDK } from '@ringcentral/sdk';
