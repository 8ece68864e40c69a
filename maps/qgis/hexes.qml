<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>
<qgis version="3.28.0-Firenze" styleCategories="Symbology|Labeling" labelsEnabled="0">
 <renderer-v2 type="RuleRenderer" forceraster="0" symbollevels="0" enableorderby="0" referencescale="-1">
  <rules key="{055ea9fa-24d2-5faf-89f1-b002f0ca8be5}">
   <rule key="{ce56da21-e324-5f04-9d61-f952d9e9c1e9}" label="15分钟公共服务圈 / 15-minute public service circle：覆盖率 / covered share">
    <rule key="{cd86ef6e-7da7-50cd-8345-c56eeff7c4ba}" filter="&quot;service_circle_15min_share&quot; &gt;= 1" symbol="0" label="达标 ≥ 100% / met" />
    <rule key="{2c7e23e0-bd06-5bb6-a308-93d757698069}" filter="&quot;service_circle_15min_share&quot; &gt;= 0.75 AND &quot;service_circle_15min_share&quot; &lt; 1" symbol="1" label="75%–100% 未达标 / not met" />
    <rule key="{2aead3da-1912-5abe-90b8-749015164c18}" filter="&quot;service_circle_15min_share&quot; &gt;= 0.5 AND &quot;service_circle_15min_share&quot; &lt; 0.75" symbol="2" label="50%–75% 未达标 / not met" />
    <rule key="{bc62ea63-cc7d-5498-9809-589f09c77fd1}" filter="&quot;service_circle_15min_share&quot; &gt;= 0.25 AND &quot;service_circle_15min_share&quot; &lt; 0.5" symbol="3" label="25%–50% 未达标 / not met" />
    <rule key="{0b5c66c6-be31-5a37-8b78-9535642f11b5}" filter="&quot;service_circle_15min_share&quot; &lt; 0.25" symbol="4" label="&lt; 25% 未达标 / not met" />
    <rule key="{ce1f97c4-de44-5f92-8912-778dea1729de}" filter="&quot;service_circle_15min_share&quot; IS NULL" symbol="5" label="无适用人口 / nobody eligible" />
   </rule>
  </rules>
  <symbols>
   <symbol type="fill" name="0" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="26,152,80,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="26,152,80,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="1" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="254,204,92,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="254,204,92,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="2" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="253,141,60,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="253,141,60,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="3" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="240,59,32,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="240,59,32,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="4" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="189,0,38,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="solid" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="189,0,38,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="solid" />
    </layer>
   </symbol>
   <symbol type="fill" name="5" alpha="1" clip_to_extent="1" force_rhr="0">
    <layer class="SimpleFill" enabled="1" locked="0" pass="0">
     <Option type="Map">
      <Option type="QString" name="border_width_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="color" value="127,127,127,220" />
      <Option type="QString" name="joinstyle" value="bevel" />
      <Option type="QString" name="offset" value="0,0" />
      <Option type="QString" name="offset_map_unit_scale" value="3x:0,0,0,0,0,0" />
      <Option type="QString" name="offset_unit" value="MM" />
      <Option type="QString" name="outline_color" value="255,255,255,160" />
      <Option type="QString" name="outline_style" value="solid" />
      <Option type="QString" name="outline_width" value="0.1" />
      <Option type="QString" name="outline_width_unit" value="MM" />
      <Option type="QString" name="style" value="no" />
     </Option>
     <prop k="border_width_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="color" v="127,127,127,220" />
     <prop k="joinstyle" v="bevel" />
     <prop k="offset" v="0,0" />
     <prop k="offset_map_unit_scale" v="3x:0,0,0,0,0,0" />
     <prop k="offset_unit" v="MM" />
     <prop k="outline_color" v="255,255,255,160" />
     <prop k="outline_style" v="solid" />
     <prop k="outline_width" v="0.1" />
     <prop k="outline_width_unit" v="MM" />
     <prop k="style" v="no" />
    </layer>
   </symbol>
  </symbols>
 </renderer-v2>
 <blendMode>0</blendMode>
 <featureBlendMode>0</featureBlendMode>
 <layerGeometryType>2</layerGeometryType>
</qgis>
